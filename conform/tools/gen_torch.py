# Differential schedule cases from PyTorch: python gen_torch.py SEED OUT.json (needs torch).
# Offline tool; conform/src/main/resources/dev/tiller/conform/golden/README.md says how its output was made.
import json, random, math, sys
import torch
from torch.optim import lr_scheduler as L
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
N = 40
cases = []

def run(make, base_lr, metrics=None, momentum=0.9):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr, momentum=momentum)
    sch = make(opt)
    lrs, moms = [], []
    for t in range(N):
        lrs.append(float(opt.param_groups[0]['lr'])); moms.append(float(opt.param_groups[0]['momentum']))
        p.grad = torch.ones(1); opt.step()
        if metrics is not None: sch.step(metrics[t])
        else: sch.step()
    return lrs, moms

def add(name, sched, hyper, base_lr, make, metrics=None):
    try:
        lrs, moms = run(make, base_lr, metrics)
    except Exception as e:
        print("skip", name, hyper, e, file=sys.stderr); return
    c = {"kind": "schedule", "name": name, "schedule": sched, "reference": "torch", "base_lr": base_lr,
         "hyper": hyper, "lrs": lrs, "momentums": moms, "atol": 1e-9, "rtol": 1e-6}
    if metrics is not None: c["metrics"] = metrics
    cases.append(c)

def cls(n): return getattr(L, n)

for i in range(12):
    b = random.choice([0.1, 0.05, 1.0, 0.003])
    h = {"step_size": random.randint(1, 12)}
    if random.random() < .7: h["gamma"] = random.choice([0.1, 0.5, 0.9, 0.33])
    add(f"step{i}", "StepLR", h, b, lambda o, h=h: L.StepLR(o, **h))
    ms = sorted(random.sample(range(0, 40), random.randint(1, 4)))
    if random.random() < .3: ms = ms + [ms[-1]]
    h = {"milestones": ms}
    if random.random() < .7: h["gamma"] = random.choice([0.1, 0.5, 0.9, 0.33])
    add(f"multistep{i}", "MultiStepLR", h, b, lambda o, h=h: L.MultiStepLR(o, **h))
    h = {"gamma": random.choice([0.9, 0.95, 0.5, 0.99, 1.05])}
    add(f"exp{i}", "ExponentialLR", h, b, lambda o, h=h: L.ExponentialLR(o, **h))
    h = {"T_max": random.randint(1, 30)}
    if random.random() < .7: h["eta_min"] = random.choice([0.0, 1e-4, 0.001, 0.01])
    add(f"cos{i}", "CosineAnnealingLR", h, b, lambda o, h=h: L.CosineAnnealingLR(o, **h))
    h = {"T_0": random.randint(1, 12)}
    if random.random() < .7: h["T_mult"] = random.randint(1, 3)
    if random.random() < .7: h["eta_min"] = random.choice([0.0, 1e-4, 0.001, 0.01])
    add(f"wr{i}", "CosineAnnealingWarmRestarts", h, b, lambda o, h=h: L.CosineAnnealingWarmRestarts(o, **h))
    h = {"max_lr": random.choice([0.1, 1.0, 0.05]), "total_steps": random.choice([40, 41, 50, 100])}
    for k, vals in [("pct_start", [0.1, 0.25, 0.3, 0.5, 0.45]), ("anneal_strategy", ["cos", "linear"]),
                    ("three_phase", [True, False]), ("div_factor", [10.0, 25.0, 4.0]),
                    ("final_div_factor", [100.0, 1e4]), ("base_momentum", [0.8, 0.85]),
                    ("max_momentum", [0.95, 0.99]), ("cycle_momentum", [True, False])]:
        if random.random() < .6: h[k] = random.choice(vals)
    add(f"onecycle{i}", "OneCycleLR", h, b, lambda o, h=h: L.OneCycleLR(o, **h))
    h = {}
    for k, vals in [("start_factor", [0.1, 0.5, 1/3, 1.0]), ("end_factor", [1.0, 0.5, 0.0, 0.2]),
                    ("total_iters", [0, 1, 5, 8, 50])]:
        if random.random() < .7: h[k] = random.choice(vals)
    add(f"linear{i}", "LinearLR", h, b, lambda o, h=h: L.LinearLR(o, **h))
    h = {}
    for k, vals in [("factor", [0.1, 0.5, 1/3, 1.0]), ("total_iters", [0, 1, 5, 8, 50])]:
        if random.random() < .7: h[k] = random.choice(vals)
    add(f"const{i}", "ConstantLR", h, b, lambda o, h=h: L.ConstantLR(o, **h))
    h = {}
    for k, vals in [("total_iters", [1, 5, 30, 50]), ("power", [1.0, 2.0, 0.5, 0.9, 3.0])]:
        if random.random() < .7: h[k] = random.choice(vals)
    add(f"poly{i}", "PolynomialLR", h, b, lambda o, h=h: L.PolynomialLR(o, **h))
    h = {"base_lr": random.choice([0.01, 0.001]), "max_lr": random.choice([0.1, 0.05])}
    for k, vals in [("step_size_up", [1, 3, 5, 7]), ("step_size_down", [2, 4, 9]),
                    ("mode", ["triangular", "triangular2", "exp_range"]), ("gamma", [0.9, 0.99, 1.0]),
                    ("cycle_momentum", [True, False]), ("base_momentum", [0.8, 0.7]), ("max_momentum", [0.9, 0.95])]:
        if random.random() < .6: h[k] = random.choice(vals)
    add(f"cyclic{i}", "CyclicLR", h, b, lambda o, h=h: L.CyclicLR(o, **h))
    # plateau
    m = [random.choice([1.0, 0.9, 1.1]) * (1 + 0.3 * math.exp(-t / 10)) + random.gauss(0, 0.02) for t in range(N)]
    h = {}
    for k, vals in [("mode", ["min", "max"]), ("factor", [0.1, 0.5, 0.8]), ("patience", [0, 1, 2, 5]),
                    ("threshold", [1e-4, 0.01, 0.1]), ("threshold_mode", ["rel", "abs"]), ("cooldown", [0, 1, 3]),
                    ("min_lr", [0, 0.001, 0.02]), ("eps", [1e-8, 1e-3])]:
        if random.random() < .7: h[k] = random.choice(vals)
    if h.get("mode") == "max": m = [-x for x in m]
    add(f"plateau{i}", "ReduceLROnPlateau", h, b, lambda o, h=h: L.ReduceLROnPlateau(o, **h), metrics=m)
    # sequential
    subs = [f"LinearLR(start_factor={random.choice([0.01, 0.1])},total_iters={random.randint(1,8)})",
            f"CosineAnnealingLR(T_max={random.randint(5,40)},eta_min={random.choice([0.0, 1e-4])})",
            f"ExponentialLR(gamma={random.choice([0.9, 0.95])})",
            f"StepLR(step_size={random.randint(1,6)},gamma=0.5)",
            f"ConstantLR(factor=0.5,total_iters={random.randint(1,6)})",
            f"PolynomialLR(total_iters={random.randint(5,20)},power=2.0)",
            f"CosineAnnealingWarmRestarts(T_0={random.randint(2,6)},T_mult=2)",
            f"MultiStepLR(milestones=[{random.randint(1,4)},{random.randint(5,9)}],gamma=0.5)"]
    k = random.randint(2, 3)
    chosen = random.sample(subs, k)
    ms = sorted(random.sample(range(1, 35), k - 1))
    h = {"schedulers": chosen, "milestones": ms}
    def mk(o, chosen=chosen, ms=ms):
        ss = [eval("L." + s.replace("(", "(o,", 1), {"L": L, "o": o}) for s in chosen]
        return L.SequentialLR(o, ss, milestones=ms)
    add(f"seq{i}", "SequentialLR", h, b, mk)

json.dump({"format": "golden-v1", "variant": "fuzz-torch", "cases": cases}, open(sys.argv[2], "w"))
print(len(cases), file=sys.stderr)
