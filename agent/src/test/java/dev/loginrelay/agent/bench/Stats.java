package dev.loginrelay.agent.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Min / median / p90 of a sample, in milliseconds. The median of an even count is the mean of the two middle values;
 * p90 is the nearest-rank percentile (the smallest value with at least 90 % of the sample at or below it).
 */
record Stats(int n, double min, double median, double p90, double max, List<Double> values) {
    Stats {
        values = List.copyOf(values);
    }

    static Stats of(List<Double> millis) {
        if (millis.isEmpty()) {
            throw new IllegalArgumentException("millis cannot be empty");
        }
        List<Double> s = new ArrayList<>(millis);
        s.sort(null);
        int n = s.size();
        double median = n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
        double p90 = s.get((int) Math.ceil(0.9 * n) - 1);
        return new Stats(n, s.get(0), median, p90, s.get(n - 1), millis);
    }

    /** The values in run order, one decimal each. */
    String raw() {
        return values.stream().map(Stats::ms).collect(Collectors.joining(" "));
    }

    static String ms(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
