"""Renders a batch of templates with Python Jinja2 configured as Kluctl configures it.

Reads JSON from stdin: {"cases": [{"id": ..., "template": ..., "vars": {...}}], "repeat": N?,
"stubs": bool?, "fill_undefined": bool?} (stubs: register the stand-ins for Kluctl's project-bound
functions, see make_stubs; fill_undefined: while a case fails with "'name' is undefined", give that
top-level name the string "stub-<name>" and render again; the names added come back as "filled")
Writes JSON to stdout: {"results": [{"id": ..., "out": ...} | {"id": ..., "error": "<class>", "message": ...}],
"timings": {...}} (timings only with "bench": true).

Kluctl's settings: StrictUndefined, trim_blocks/lstrip_blocks off, the loopcontrols extension, the
variables as environment globals, and Kluctl's filters and globals (written here from their documented
behaviour; the project-bound ones are left out).
"""
import base64
import hashlib
import json
import re
import sys
import time

import jinja2
import yaml
from jinja2 import Environment, StrictUndefined, TemplateError


class MultilineStrDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, data):
    if len(data.splitlines()) > 1:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    if str.isnumeric(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


MultilineStrDumper.add_representer(str, _str_representer)


def merge_dict(a, b, clone=True):
    if clone:
        import copy
        a = copy.deepcopy(a)
    for k, v in b.items():
        if isinstance(a.get(k), dict) and isinstance(v, dict):
            merge_dict(a[k], v, False)
        else:
            a[k] = v
    return a


def _lookup(vars, path):
    cur = vars
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            raise KeyError(path)
    return cur


@jinja2.pass_context
def get_var(ctx, path, default=None):
    paths = path if isinstance(path, list) else [path]
    all_vars = ctx.get_all()
    for p in paths:
        try:
            return _lookup(all_vars, p)
        except KeyError:
            continue
    return default


@jinja2.pass_context
def render(ctx, string):
    return ctx.environment.from_string(string).render(ctx.get_all())


def sha256(s, digest_len=None):
    h = hashlib.sha256(s.encode("utf-8")).hexdigest()
    return h if digest_len is None else h[:digest_len]


def slugify(s, **kwargs):
    from slugify import slugify as _slugify
    return _slugify(s, **kwargs)


def raise_helper(msg):
    raise TemplateError(msg)


class _Images:
    """Stand-in for Kluctl's `images` global (bench/public-projects.ts mirrors it)."""

    def get_image(self, image, latest_version=None):
        return "stub-image:" + image


def _stub_digest(kind, path, n=None):
    h = hashlib.sha256((kind + ":" + path).encode("utf-8")).hexdigest()
    return h[:n] if n else h


def make_stubs():
    """Deterministic stand-ins for the project-bound functions (same results as the TS side)."""
    return {
        "load_template": lambda path, **kw: "# stub load_template " + path + "\nkeys: " + ",".join(sorted(kw)),
        "load_sha256": lambda path, digest_len=None: _stub_digest("load_sha256", path, digest_len),
        "load_base64": lambda path, width=None: base64.b64encode(path.encode("utf-8")).decode(),
        "load_latest_git_commit": lambda path, sha_len=None: _stub_digest("git", path, sha_len)[:40],
        "images": _Images(),
    }


def make_env():
    env = Environment(undefined=StrictUndefined, extensions=["jinja2.ext.loopcontrols"], cache_size=10000)
    env.filters.update({
        "b64encode": lambda s: base64.b64encode(s.encode()).decode(),
        "b64decode": lambda s: base64.b64decode(s.encode()).decode(),
        "to_yaml": lambda o: yaml.dump(o, Dumper=MultilineStrDumper, sort_keys=False),
        "to_json": json.dumps,
        "from_yaml": lambda s: yaml.load(s, Loader=yaml.SafeLoader),
        "render": render,
        "sha256": sha256,
        "slugify": slugify,
    })
    env.globals.update({
        "get_var": get_var,
        "merge_dict": merge_dict,
        "update_dict": lambda a, b: (merge_dict(a, b, False), "")[1],
        "raise": raise_helper,
        "debug_print": lambda msg: "",
        "render": render,
    })
    return env


def render_one(env, case):
    case_vars = case.get("vars", {})
    # A var may shadow a built-in global (`namespace`, `range`, ...): restore those afterwards.
    shadowed = {k: env.globals[k] for k in case_vars if k in env.globals}
    try:
        env.globals.update(case_vars)
        src = case["template"]
        return {"id": case["id"], "out": env.from_string(src).render()}
    except Exception as e:  # noqa: BLE001 - every error class is a result here
        return {"id": case["id"], "error": type(e).__name__, "message": str(e)}
    finally:
        for k in case_vars:
            env.globals.pop(k, None)
        env.globals.update(shadowed)


UNDEFINED_NAME = re.compile(r"^'([A-Za-z_][A-Za-z0-9_]*)' is undefined$")


def render_filling(env, case, rounds=20):
    """Renders a case, defining missing top-level names as placeholder strings (bench mode)."""
    filled = {}
    for _ in range(rounds):
        r = render_one(env, {**case, "vars": {**case.get("vars", {}), **filled}})
        m = UNDEFINED_NAME.match(r.get("message", "")) if r.get("error") == "UndefinedError" else None
        if not m or m.group(1) in filled:
            break
        filled[m.group(1)] = "stub-" + m.group(1)
    if filled:
        r["filled"] = filled
    return r


def main():
    req = json.load(sys.stdin)
    env = make_env()
    if req.get("stubs"):
        env.globals.update(make_stubs())
    render = render_filling if req.get("fill_undefined") else render_one
    results = [render(env, c) for c in req["cases"]]
    out = {"results": results}
    if req.get("bench"):
        # Cold: a fresh environment (empty template cache) per pass; warm: templates compiled once.
        cases = req["cases"]
        t0 = time.perf_counter()
        cold_env = make_env()
        for c in cases:
            cold_env.globals.update(c.get("vars", {}))
            cold_env.from_string(c["template"]).render()
        cold = time.perf_counter() - t0
        warm_env = make_env()
        compiled = []
        for c in cases:
            compiled.append((warm_env.from_string(c["template"]), c.get("vars", {})))
        rounds = int(req.get("rounds", 5))
        t0 = time.perf_counter()
        for _ in range(rounds):
            for t, v in compiled:
                t.render(v)
        warm = (time.perf_counter() - t0) / rounds
        out["timings"] = {"cold_s": cold, "warm_s": warm, "jinja2": jinja2.__version__}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
