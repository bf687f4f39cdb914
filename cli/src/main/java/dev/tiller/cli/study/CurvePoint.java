package dev.tiller.cli.study;

/**
 * One point of a run's curve: the value after step steps, with samples training samples seen and cpuSeconds of
 * process CPU time spent training by then (evaluation excluded, as AlgoPerf leaves evaluation off the clock).
 */
public record CurvePoint(long step, long samples, double cpuSeconds, double value) {}
