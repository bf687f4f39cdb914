/** Layers, architectures and datasets (issue 5; not built yet). */
package dev.tiller.models;
