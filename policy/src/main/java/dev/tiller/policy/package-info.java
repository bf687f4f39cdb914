/** Signals, controllers, the decision log, checkpoints and the trainer loop (later issues; not built yet). */
package dev.tiller.policy;
