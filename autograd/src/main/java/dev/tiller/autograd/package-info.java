/** Reverse-mode automatic differentiation over the tensor engine (issue 3; not built yet). */
package dev.tiller.autograd;
