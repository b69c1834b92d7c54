# Reference side of the resolver differential test: pip's vendored resolvelib with a provider that
# mirrors test/resolve/toy.ts (same requirement syntax, candidate order, dependency order and
# preference keys). Run through runReference(), which defines INPUT and emit().
#
# INPUT = {"cases": [{"index": {...}, "roots": [...], "strategy": "pip"|"name"|"count"|"tie",
#                      "maxRounds": int}]}
# emits one outcome per case (see outcome()).
import re

from pip._vendor import resolvelib

REQ_RE = re.compile(
    r"^\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?\s*([^;]*?)\s*(?:;\s*extra\s*==\s*'([^']*)'\s*)?$"
)
CLAUSE_RE = re.compile(r"^\s*(==|!=|>=|<=|>|<)\s*(\d+)\s*$")
OPS = {
    "==": lambda v, n: v == n,
    "!=": lambda v, n: v != n,
    ">=": lambda v, n: v >= n,
    "<=": lambda v, n: v <= n,
    ">": lambda v, n: v > n,
    "<": lambda v, n: v < n,
}


def ident(name, extras):
    return name if not extras else "%s[%s]" % (name, ",".join(extras))


class Req:
    def __init__(self, text):
        m = REQ_RE.match(text)
        assert m, text
        self.text = text.strip()
        self.name = m.group(1)
        extras = [e.strip() for e in (m.group(2) or "").split(",") if e.strip()]
        self.extras = tuple(sorted(set(extras)))
        spec = m.group(3).strip()
        self.clauses = []
        if spec:
            for part in spec.split(","):
                c = CLAUSE_RE.match(part)
                assert c, (part, text)
                self.clauses.append((c.group(1), int(c.group(2))))
        self.marker = m.group(4)
        self.id = ident(self.name, self.extras)

    def matches(self, v):
        return all(OPS[op](v, n) for op, n in self.clauses)

    def __repr__(self):
        return self.text


class Cand:
    def __init__(self, name, extras, version):
        self.name = name
        self.extras = extras
        self.version = version
        self.id = ident(name, extras)

    def __repr__(self):
        return "%s==%d" % (self.id, self.version)


class Blowup(Exception):
    """resolvelib 1.0.1 doubles incompatibility lists on every backjump (_patch_criteria extends
    the broken state's list, which already holds the current one); past a few thousand entries a
    case would take minutes or exhaust memory, so the provider gives up on it."""


BLOWUP_LIMIT = 5000


class ToyProvider(resolvelib.AbstractProvider):
    def __init__(self, index, strategy):
        self.index = index
        self.strategy = strategy
        self.cands = {}
        self.parsed = {}

    def identify(self, requirement_or_candidate):
        return requirement_or_candidate.id

    def get_preference(self, identifier, resolutions, candidates, information, backtrack_causes):
        if self.strategy == "name":
            return identifier
        count = len(list(candidates[identifier])) if identifier in candidates else 0
        if self.strategy == "count":
            return (count, identifier)
        if self.strategy == "tie":
            return min(count, 2)
        infos = list(information[identifier]) if identifier in information else []
        ops = [op for i in infos for op, _ in i.requirement.clauses]
        pinned = "==" in ops
        upper = any(op in ("==", "<", "<=") for op in ops)
        direct = any(i.parent is None for i in infos)
        cause = any(
            c.requirement.id == identifier or (c.parent is not None and c.parent.id == identifier)
            for c in backtrack_causes
        )
        return (0 if cause else 1, 0 if direct else 1, 0 if pinned else 1, 0 if upper else 1, count, identifier)

    def find_matches(self, identifier, requirements, incompatibilities):
        reqs = list(requirements[identifier]) if identifier in requirements else []
        known = list(incompatibilities[identifier]) if identifier in incompatibilities else []
        if len(known) > BLOWUP_LIMIT:
            raise Blowup()
        bad = {c.version for c in known}
        if not reqs:
            return []
        first = reqs[0]
        releases = self.index.get(first.name)
        if releases is None:
            return []
        out = []
        for v in sorted((int(k) for k in releases), reverse=True):
            if v in bad:
                continue
            if all(r.matches(v) for r in reqs):
                out.append(self.cand(first.name, first.extras, v))
        return out

    def is_satisfied_by(self, requirement, candidate):
        return requirement.matches(candidate.version)

    def get_dependencies(self, candidate):
        key = (candidate.name, candidate.version)
        if key not in self.parsed:
            self.parsed[key] = [Req(t) for t in self.index.get(candidate.name, {}).get(str(candidate.version), [])]
        deps = self.parsed[key]
        if not candidate.extras:
            return [r for r in deps if r.marker is None]
        base = Req("%s==%d" % (candidate.name, candidate.version))
        return [base] + [r for r in deps if r.marker is not None and r.marker in candidate.extras]

    def cand(self, name, extras, v):
        key = (ident(name, extras), v)
        if key not in self.cands:
            self.cands[key] = Cand(name, extras, v)
        return self.cands[key]


class Trace(resolvelib.BaseReporter):
    def __init__(self):
        self.pins = []
        self.backtracks = 0
        self.rejections = 0

    def pinning(self, candidate):
        self.pins.append(repr(candidate))

    def resolving_conflicts(self, causes):
        self.backtracks += 1

    def rejecting_candidate(self, criterion, candidate):
        self.rejections += 1


def cause_list(causes):
    return [[repr(c.requirement), None if c.parent is None else repr(c.parent)] for c in causes]


def outcome(case):
    provider = ToyProvider(case["index"], case["strategy"])
    trace = Trace()
    resolver = resolvelib.Resolver(provider, trace)
    common = {"pins": trace.pins, "backtracks": 0, "rejections": 0}
    try:
        result = resolver.resolve([Req(r) for r in case["roots"]], max_rounds=case["maxRounds"])
        out = {
            "status": "ok",
            "mapping": [[k, v.version] for k, v in result.mapping.items()],
            "edges": sorted([[f, t] for f, t in result.graph.iter_edges()], key=lambda e: (e[0] or "", e[1] or "")),
            "criteria": [[k, cause_list(c.information)] for k, c in result.criteria.items()],
        }
    except resolvelib.ResolutionImpossible as e:
        out = {"status": "impossible", "causes": cause_list(e.causes)}
    except resolvelib.ResolutionTooDeep as e:
        out = {"status": "too_deep", "rounds": e.round_count}
    except Blowup:
        out = {"status": "blowup"}
    except RecursionError:
        out = {"status": "recursion_error"}
    common["backtracks"] = trace.backtracks
    common["rejections"] = trace.rejections
    out.update(common)
    return out


emit([outcome(c) for c in INPUT["cases"]])
