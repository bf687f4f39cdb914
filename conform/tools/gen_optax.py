# Differential schedule cases from Optax: python gen_optax.py SEED OUT.json (needs optax 0.2.8, jax).
# Offline tool; conform/src/main/resources/dev/tiller/conform/golden/README.md says how its output was made.
import json, random, math, sys
import jax, jax.numpy as jnp, optax
random.seed(int(sys.argv[1]))
N = 40
cases = []
def add(name, fn, hyper, sched, as_array=False):
    try:
        lrs = [float(sched(jnp.asarray(t) if as_array else t)) for t in range(N)]
    except Exception as e:
        print("skip", name, hyper, e, file=sys.stderr); return
    cases.append({"kind": "schedule", "name": name, "schedule": "optax." + fn, "reference": "optax 0.2.8",
                  "hyper": hyper, "lrs": lrs, "atol": 1e-9, "rtol": 1e-6})
def pick(h, opts, p=.7):
    for k, vals in opts:
        if random.random() < p: h[k] = random.choice(vals)
    return h
for i in range(15):
    arr = random.random() < 0.3
    h = pick({"init_value": random.choice([0.0, 1e-3, 0.01]), "peak_value": random.choice([0.1, 1.0, 3e-4]),
              "warmup_steps": random.randint(0, 10), "decay_steps": random.randint(12, 60)},
             [("end_value", [0.0, 1e-5, 0.001]), ("exponent", [1.0, 2.0, 0.5])])
    add(f"wc{i}", "warmup_cosine_decay_schedule", h, optax.warmup_cosine_decay_schedule(**h), arr)
    h = pick({"init_value": random.choice([0.1, 1.0, 3e-4]), "transition_steps": random.randint(-1, 10),
              "decay_rate": random.choice([0.5, 0.8, 0.99, 1.1, 0.0])},
             [("transition_begin", [0, 2, 5, -3]), ("staircase", [True, False]), ("end_value", [0.01, 0.05, 2.0])])
    add(f"exp{i}", "exponential_decay", h, optax.exponential_decay(**h), arr)
    h = pick({"init_value": random.choice([0.1, 1.0, 3e-4]), "end_value": random.choice([0.0, 1e-4, 0.5]),
              "power": random.choice([1, 2, 3, 0.5, 2.0, 1.5]), "transition_steps": random.randint(-1, 40)},
             [("transition_begin", [0, 2, 5, -3])])
    add(f"poly{i}", "polynomial_schedule", h, optax.polynomial_schedule(**h), arr)
    bs = {str(k): random.choice([0.5, 0.1, 2.0, 0.0, 1.0]) for k in random.sample(range(0, 45), random.randint(0, 3))}
    h = {"init_value": random.choice([0.1, 1.0, 3e-4])}
    if bs or random.random() < .5: h["boundaries_and_scales"] = bs
    add(f"pw{i}", "piecewise_constant_schedule", h,
        optax.piecewise_constant_schedule(h["init_value"], {int(k): v for k, v in h.get("boundaries_and_scales", {}).items()} if "boundaries_and_scales" in h else None), arr)
    h = pick({"transition_steps": random.randint(1, 60), "peak_value": random.choice([0.1, 1.0, 3e-4])},
             [("pct_start", [0.1, 0.3, 0.5, 0.0, 1.0]), ("div_factor", [25.0, 10.0, 4.0]),
              ("final_div_factor", [1e4, 100.0, 1.0])])
    add(f"oc{i}", "cosine_onecycle_schedule", h, optax.cosine_onecycle_schedule(**h), arr)
    h = {"init_value": random.choice([0.0, 0.01]), "peak_value": random.choice([0.05, 1.0]),
         "warmup_steps": random.randint(0, 12)}
    add(f"wcst{i}", "warmup_constant_schedule", h, optax.warmup_constant_schedule(**h), arr)
    h = pick({"init_value": random.choice([0.0, 0.01, 1.0]), "end_value": random.choice([0.05, 1.0, 0.0]),
              "transition_steps": random.randint(0, 30)}, [("transition_begin", [0, 3, 7])])
    add(f"lin{i}", "linear_schedule", h, optax.linear_schedule(**h), arr)
    h = pick({"init_value": random.choice([0.1, 1.0, 3e-4]), "decay_steps": random.randint(1, 60)},
             [("alpha", [0.0, 0.1, 0.01]), ("exponent", [1.0, 2.0, 0.5, 3.0])])
    add(f"cd{i}", "cosine_decay_schedule", h, optax.cosine_decay_schedule(**h), arr)
    # plateau
    h = pick({}, [("factor", [0.1, 0.5, 0.8]), ("patience", [0, 1, 2, 5]), ("rtol", [1e-4, 0.01, 0.1, 0.0]),
                  ("atol", [0.0, 0.01]), ("cooldown", [0, 1, 3]), ("accumulation_size", [1, 2, 3]),
                  ("min_scale", [0.0, 0.01, 0.2])])
    if h.get("rtol", 1e-4) == 0.0 and h.get("atol", 0.0) == 0.0: h["atol"] = 0.01
    m = [random.choice([1.0, 0.9]) * (1 + 0.3 * math.exp(-t / 10)) + random.gauss(0, 0.02) for t in range(N)]
    tx = optax.contrib.reduce_on_plateau(**h)
    params = jnp.zeros(3); st = tx.init(params); scales = []
    for t in range(N):
        scales.append(float(st.scale))
        _, st = tx.update(jnp.ones(3), st, params, value=m[t])
    cases.append({"kind": "schedule", "name": f"rop{i}", "schedule": "optax.contrib.reduce_on_plateau",
                  "reference": "optax 0.2.8", "hyper": h, "metrics": m, "scales": scales, "atol": 1e-9, "rtol": 1e-6})
json.dump({"format": "golden-v1", "variant": "fuzz-optax", "cases": cases}, open(sys.argv[2], "w"))
print(len(cases), file=sys.stderr)
