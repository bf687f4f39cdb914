/** Optimizers, schedules, clipping and loss scaling on off-heap state (issue 4; not built yet). */
package dev.tiller.optim;
