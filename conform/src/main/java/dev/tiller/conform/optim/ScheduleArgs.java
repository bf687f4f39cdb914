package dev.tiller.conform.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A schedule's keyword arguments as the golden file spells them (the reference library's names), with the
 * library's defaults supplied by the caller, and a parser for PyTorch constructor strings such as
 * {@code "LinearLR(start_factor=0.01,total_iters=5)"} used by SequentialLR cases. Unknown argument names are an
 * error, so a case with an argument the runner would ignore fails instead of passing by accident.
 */
final class ScheduleArgs {
    private final String owner;
    private final Map<String, Object> values;
    private final Set<String> known;

    ScheduleArgs(String owner, Map<String, Object> values, Set<String> known) {
        this.owner = owner;
        this.values = values;
        this.known = known;
        for (String k : values.keySet()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException(owner + ": argument '" + k + "' is not supported; known: " + known);
            }
        }
    }

    boolean has(String key) {
        return values.get(key) != null;
    }

    double num(String key, double fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        throw new IllegalArgumentException(owner + ": argument '" + key + "' must be a number, got " + v);
    }

    double num(String key) {
        if (!has(key)) {
            throw new IllegalArgumentException(owner + ": argument '" + key + "' is required");
        }
        return num(key, 0);
    }

    long integer(String key, long fallback) {
        if (!has(key)) {
            return fallback;
        }
        double d = num(key);
        if (d != Math.rint(d)) {
            throw new IllegalArgumentException(owner + ": argument '" + key + "' must be an integer, got " + d);
        }
        return (long) d;
    }

    long integer(String key) {
        num(key);
        return integer(key, 0);
    }

    boolean bool(String key, boolean fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(owner + ": argument '" + key + "' must be true or false, got " + v);
    }

    String str(String key, String fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(owner + ": argument '" + key + "' must be a string, got " + v);
    }

    List<Long> longs(String key) {
        Object v = values.get(key);
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException(owner + ": argument '" + key + "' must be a list, got " + v);
        }
        List<Long> out = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof Double d) || d != Math.rint(d)) {
                throw new IllegalArgumentException(owner + ": argument '" + key + "' must hold integers, got " + o);
            }
            out.add((long) (double) d);
        }
        return out;
    }

    Object raw(String key) {
        return values.get(key);
    }

    /** A parsed constructor call: the class name and its keyword arguments. */
    record Call(String name, Map<String, Object> kwargs) {}

    /**
     * Parses {@code Name(key=literal, ...)} where a literal is a number, True/False/None, a quoted string or a
     * [list] of literals; values map to the same Java types as the JSON reader (Double, Boolean, null, String, List).
     */
    static Call parseCall(String text) {
        Parser p = new Parser(text);
        p.skip();
        String name = p.identifier();
        p.expect('(');
        Map<String, Object> kw = new LinkedHashMap<>();
        p.skip();
        if (!p.peek(')')) {
            do {
                p.skip();
                String key = p.identifier();
                p.expect('=');
                kw.put(key, p.literal());
                p.skip();
            } while (p.accept(','));
        }
        p.expect(')');
        p.skip();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after ')'");
        }
        return new Call(name, kw);
    }

    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        void skip() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        boolean peek(char c) {
            skip();
            return pos < s.length() && s.charAt(pos) == c;
        }

        boolean accept(char c) {
            if (peek(c)) {
                pos++;
                return true;
            }
            return false;
        }

        void expect(char c) {
            if (!accept(c)) {
                throw error("expected '" + c + "'");
            }
        }

        String identifier() {
            skip();
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_'
                    || s.charAt(pos) == '.')) {
                pos++;
            }
            if (start == pos) {
                throw error("expected a name");
            }
            return s.substring(start, pos);
        }

        Object literal() {
            skip();
            if (accept('[') || accept('(')) {
                char close = s.charAt(pos - 1) == '[' ? ']' : ')';
                List<Object> out = new ArrayList<>();
                if (!peek(close)) {
                    do {
                        out.add(literal());
                    } while (accept(','));
                }
                expect(close);
                return out;
            }
            if (pos < s.length() && (s.charAt(pos) == '\'' || s.charAt(pos) == '"')) {
                char q = s.charAt(pos++);
                int end = s.indexOf(q, pos);
                if (end < 0) {
                    throw error("unterminated string");
                }
                String v = s.substring(pos, end);
                pos = end + 1;
                return v;
            }
            int start = pos;
            while (pos < s.length() && "+-.0123456789eEinfatyrueFalsNo".indexOf(s.charAt(pos)) >= 0
                    || pos < s.length() && Character.isLetter(s.charAt(pos))) {
                pos++;
            }
            String tok = s.substring(start, pos);
            return switch (tok) {
                case "True" -> Boolean.TRUE;
                case "False" -> Boolean.FALSE;
                case "None" -> null;
                case "inf", "math.inf", "float('inf')" -> Double.POSITIVE_INFINITY;
                default -> {
                    try {
                        yield Double.parseDouble(tok);
                    } catch (NumberFormatException e) {
                        throw error("expected a literal, got '" + tok + "'");
                    }
                }
            };
        }

        IllegalArgumentException error(String problem) {
            return new IllegalArgumentException("cannot parse scheduler '" + s + "' at position " + pos + ": "
                    + problem);
        }
    }
}
