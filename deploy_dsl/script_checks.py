"""Scripts and queries parsed the way the server parses them, before any server sees them (pure).

- JavaScript (INLINE, SWITCH and DECISION expressions, LAMBDA bodies, DO_WHILE conditions,
  event handler conditions):
  Conductor 3.32.3 evaluates them with GraalJS 25.0.2 (`ScriptEvaluator.eval`, the jar's
  js-language-25.0.2), whose default `js.ecmascript-version` is 'latest', ECMAScript 2025
  (`JSConfig.LatestECMAScriptVersion`), Annex B on. They are parsed here by esprima-fork, a
  pure-Python ECMAScript parser set to that edition: `deploy-dsl build` is a library command
  and must work wherever the package is installed, with no Node.js. tests/e2e checks its
  verdicts against the server's own parser (registration parses `javascript` SWITCH
  expressions).
- jq (JSON_JQ_TRANSFORM's queryExpression): the server compiles it with jackson-jq 0.0.13
  when the task runs (`JsonJqTransform.start`); it is compiled here by jq itself (the `jq`
  package), and a function jq does not define is an error only if jackson-jq lacks it too.

A script holding `${...}` is left alone: Conductor substitutes inputs into it first, so its
text at run time is not the text written.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ECMASCRIPT_VERSION",
    "JACKSON_JQ_FUNCTIONS",
    "LAMBDA_PREFIX",
    "ScriptError",
    "javascript_error",
    "jq_error",
]

ECMASCRIPT_VERSION: Final = 2025
# Lambda.execute runs `function scriptFun(){<scriptExpression>} scriptFun();`.
LAMBDA_PREFIX: Final = "function scriptFun(){"
_LAMBDA_SUFFIX: Final = "} scriptFun();"

# The functions jackson-jq 0.0.13 (the jar's lib/) defines: its BuiltinFunction classes
# (META-INF/services/net.thisptr.jackson.jq.Function) and those of its jq.json, as name/arity.
JACKSON_JQ_FUNCTIONS: Final = frozenset(
    """
    @base64/0 @csv/0 @html/0 @json/0 @sh/0 @text/0 @tsv/0 @uri/0 _flatten/1 _match_impl/3
    _nwise/1 _nwise/2 _sub_impl/3 add/0 all/0 all/1 all/2 any/0 any/1 any/2 arrays/0
    ascii_downcase/0 ascii_upcase/0 atan/0 booleans/0 break/0 capture/1 capture/2
    combinations/0 combinations/1 contains/1 cos/0 debug_scope/0 del/1 empty/0 endswith/1
    error/1 explode/0 first/0 first/1 flatten/0 flatten/1 floor/0 from_entries/0 fromjson/0
    group/0 group/1 group_by/1 gsub/2 gsub/3 has/1 implode/0 in/1 index/1 indices/1
    infinite/0 inside/1 isinfinite/0 isnan/0 iterables/0 join/1 keys/0 keys_unsorted/0
    last/0 last/1 leaf_paths/0 length/0 limit/2 log2/0 ltrimstr/1 map/1 map_values/1
    match/1 match/2 max/0 max/1 max_by/1 min/0 min/1 min_by/1 nan/0 not/0 nth/1 nth/2
    nulls/0 numbers/0 objects/0 paths/0 paths/1 pow/2 range/1 range/2 range/3 recurse/0
    recurse/1 recurse/2 recurse_down/0 reverse/0 rindex/1 rtrimstr/1 scalars/0 scan/1 scan/2
    select/1 sin/0 sort/0 sort/1 sort_by/1 split/1 split/2 splits/1 splits/2 sqrt/0
    startswith/1 strings/0 sub/2 sub/3 test/1 test/2 to_entries/0 tojson/0 tonumber/0
    tostring/0 transpose/0 type/0 unique/0 unique/1 unique_by/1 until/2 utf8bytelength/0
    values/0 walk/1 while/2 with_entries/1
    """.split()  # noqa: SIM905 (a list of 140 quoted names would hide them)
)
_JQ_POSITION: Final = re.compile(r"line (\d+), column (\d+)")
_JQ_UNDEFINED: Final = re.compile(r"(\S+/\d+) is not defined")


@dataclass(frozen=True)
class ScriptError:
    """Why a script does not parse, and where in it (1-based line and column)."""

    message: str
    line: int
    column: int

    def where(self, what: str = "script") -> str:
        return f"line {self.line}, column {self.column} of the {what}"


@functools.lru_cache(maxsize=1024)
def javascript_error(script: str, *, function_body: bool = False) -> ScriptError | None:
    """The syntax error GraalJS would report for `script`, or None; `function_body`: the
    script is a LAMBDA's, which the server wraps in a function."""
    import esprima  # lazily: builds without scripts never pay for the parser

    source = f"{LAMBDA_PREFIX}{script}{_LAMBDA_SUFFIX}" if function_body else script
    try:
        esprima.parseScript(source, {"ecmaVersion": ECMASCRIPT_VERSION})
    except esprima.Error as error:
        line, column = int(error.lineNumber), int(error.column)
        if function_body and line == 1:
            column = max(column - len(LAMBDA_PREFIX), 1)
        description = str(getattr(error, "description", "") or error).split(": ", 1)[-1]
        return ScriptError(description.strip(), line, column)
    return None


@functools.lru_cache(maxsize=1024)
def jq_error(query: str) -> ScriptError | None:
    """Why jackson-jq would fail to compile `query`, or None."""
    import jq  # lazily, as above

    try:
        jq.compile(query)
    except ValueError as error:
        first = str(error).splitlines()[0].removeprefix("jq: error: ")
        undefined = _JQ_UNDEFINED.search(first)
        if undefined and undefined.group(1) in JACKSON_JQ_FUNCTIONS:
            return None  # jq lacks it, jackson-jq has it: the server runs it
        position = _JQ_POSITION.search(first)
        line, column = (int(position.group(1)), int(position.group(2))) if position else (1, 1)
        return ScriptError(first.split(" at <top-level>", 1)[0].strip(), line, column)
    return None
