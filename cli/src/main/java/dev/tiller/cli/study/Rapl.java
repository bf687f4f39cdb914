package dev.tiller.cli.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The machine's package energy from Linux's RAPL counters (/sys/class/powercap/intel-rapl:N/energy_uj, AMD's too),
 * where they are readable; most VMs and unprivileged users cannot read them, and then there is no figure.
 */
final class Rapl {
    private static final Path ROOT = Path.of("/sys/class/powercap");

    /** The counters at one moment; null when not readable. */
    record Reading(long[] microjoules, long[] range) {
        /** Joules used since this reading (a counter that wrapped adds its range), or null when not readable. */
        Double joulesSince() {
            if (microjoules == null) {
                return null;
            }
            Reading now = read();
            if (now.microjoules == null || now.microjoules.length != microjoules.length) {
                return null;
            }
            double sum = 0;
            for (int i = 0; i < microjoules.length; i++) {
                long d = now.microjoules[i] - microjoules[i];
                sum += d >= 0 ? d : d + range[i];
            }
            return sum / 1e6;
        }
    }

    private Rapl() {}

    /** The package-level counters (intel-rapl:N, not their sub-zones). */
    static Reading read() {
        List<long[]> found = new ArrayList<>();
        for (int n = 0; n < 64; n++) {
            Path zone = ROOT.resolve("intel-rapl:" + n);
            if (!Files.isDirectory(zone)) {
                break;
            }
            try {
                long uj = Long.parseLong(Files.readString(zone.resolve("energy_uj")).strip());
                long range = Long.parseLong(Files.readString(zone.resolve("max_energy_range_uj")).strip());
                found.add(new long[] {uj, range});
            } catch (IOException | NumberFormatException | SecurityException e) {
                return new Reading(null, null);
            }
        }
        if (found.isEmpty()) {
            return new Reading(null, null);
        }
        return new Reading(found.stream().mapToLong(a -> a[0]).toArray(), found.stream().mapToLong(a -> a[1])
                .toArray());
    }
}
