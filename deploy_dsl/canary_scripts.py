"""The server-side scripts of the canary controls (graaljs, run by INLINE tasks; pure).

`$` is the INLINE's inputs; a map input is walked with `for ... in` and read by key, never with
`Object.keys` (see control_scripts.py for what graaljs makes of Conductor's Java maps). An HTTP
task's `response` is an object (`statusCode`, `body`) when Prometheus answered, and the text
of the exception when it could not be reached (HttpTask.start, Conductor 3.32.3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

__all__ = ["PAUSE_SCRIPT", "QUERIES_SCRIPT", "measure_script"]

# Each metric's PromQL, as Conductor resolved its references, encoded as the form body of
# POST /api/v1/query. A query in the URI would not do: HttpTask hands the URI to Spring's
# RestTemplate as a template, where `{...}` (every label matcher) is a variable.
QUERIES_SCRIPT: Final = """(function () {
  var bodies = {};
  for (var name in $.queries) {
    bodies[name] = 'query=' + encodeURIComponent(String($.queries[name]));
  }
  return bodies;
})()"""

# One measurement: every metric's answer read and judged, added to the previous iterations'
# (`previous`, null in the first), then the analysis's verdict so far. A metric passes when its
# condition holds for its value; it fails when it does not; "no data" (no series, NaN) and
# "error" (Prometheus unreachable, a refused query, more than one series) decide nothing and
# make the measurement inconclusive unless another metric failed.
_MEASURE_TEMPLATE: Final = """(function () {
  var judge = %s;
  var prev = $.previous || null;
  var number = (prev ? prev.measurements.length : 0) + 1;
  function text(value) { return value == null ? '' : String(value); }
  function read(answer) {
    if (answer == null) { return {problem: 'error', detail: 'the query did not run'}; }
    if (typeof answer === 'string' || typeof answer.statusCode === 'undefined') {
      return {problem: 'error', detail: 'Prometheus unreachable: ' + text(answer).slice(0, 200)};
    }
    var body = answer.body || {};
    if (answer.statusCode != 200 || body.status !== 'success') {
      return {problem: 'error', detail: 'Prometheus answered ' + answer.statusCode +
        (body.error ? ': ' + text(body.error).slice(0, 200) : '')};
    }
    var data = body.data || {};
    var raw = null;
    if (data.resultType === 'scalar') {
      raw = data.result[1];
    } else if (data.resultType === 'vector') {
      if (data.result.length > 1) {
        return {problem: 'error', detail: 'the query returned ' + data.result.length +
          ' series; aggregate it to one (sum, max, ...)'};
      }
      raw = data.result.length ? data.result[0].value[1] : null;
    } else {
      return {problem: 'error', detail: 'the query returned a ' + data.resultType +
        ', not a vector or a scalar'};
    }
    if (raw == null) { return {problem: 'no data', detail: 'no series'}; }
    var value = raw === '+Inf' ? Infinity : (raw === '-Inf' ? -Infinity : parseFloat(raw));
    if (value !== value) { return {problem: 'no data', detail: 'NaN'}; }
    return {value: value, raw: String(raw)};
  }
  var readings = [];
  var failed = null;
  var unsure = false;
  for (var i = 0; i < $.metrics.length; i++) {
    var name = $.metrics[i];
    var found = read($.answers[name]);
    var reading = {metric: name, value: null, condition: text($.conditions[name]),
                   verdict: 'passed', detail: null};
    if (found.problem) {
      reading.verdict = found.problem;
      reading.detail = found.detail;
      unsure = true;
    } else {
      reading.value = isFinite(found.value) ? found.value : null;
      reading.detail = isFinite(found.value) ? null : found.raw;
      if (!judge[name](found.value)) {
        reading.verdict = 'failed';
        if (!failed) { failed = reading; }
      }
    }
    readings.push(reading);
  }
  var verdict = failed ? 'failed' : (unsure ? 'inconclusive' : 'passed');
  var measurements = [];
  var j;
  if (prev) {
    for (j = 0; j < prev.measurements.length; j++) { measurements.push(prev.measurements[j]); }
  }
  measurements.push({number: number, at: Date.now(), verdict: verdict, readings: readings});
  var passes = (prev ? prev.passed : 0) + (verdict === 'passed' ? 1 : 0);
  var failures = (prev ? prev.failed : 0) + (verdict === 'failed' ? 1 : 0);
  var unsures = (prev ? prev.inconclusive : 0) + (verdict === 'inconclusive' ? 1 : 0);
  var failure = failed || (prev ? prev.failure : null);
  var count = Number($.count);
  var failureLimit = Number($.failureLimit || 0);
  var inconclusiveLimit = Number($.inconclusiveLimit || 0);
  function shown(r) {
    var value = r.value == null ? (r.detail || 'no value') : +r.value.toPrecision(4);
    return r.metric + ' = ' + value + ', not ' + r.condition;
  }
  var outcome = 'running';
  var reason = null;
  if (failures > failureLimit) {
    outcome = 'failed';
    reason = 'analysis failed at ' + $.where + ': ' + shown(failure) + ' (' + failures +
      ' failed measurement(s), failure_limit ' + failureLimit + ')';
  } else if (unsures > inconclusiveLimit) {
    outcome = 'inconclusive';
    var last = readings.filter(function (r) { return r.detail != null && r.verdict !== 'passed'; });
    reason = 'analysis inconclusive at ' + $.where + ': ' + unsures +
      ' measurement(s) without an answer, inconclusive_limit ' + inconclusiveLimit +
      (last.length ? ' (' + last[0].metric + ': ' + last[0].detail + ')' : '');
  } else if (number >= count) {
    outcome = passes > 0 ? 'passed' : 'inconclusive';
    if (passes === 0) {
      reason = 'analysis inconclusive at ' + $.where + ': no measurement passed';
    }
  }
  return {
    verdict: outcome,
    done: outcome !== 'running',
    passed: passes,
    failed: failures,
    inconclusive: unsures,
    failure: outcome === 'failed' ? failure : null,
    reason: reason,
    where: $.where,
    measurements: measurements
  };
})()"""

# A person's decision at a pause, read leniently (the CLI sends a boolean); a completion
# without one aborts: a pause never promotes by itself.
PAUSE_SCRIPT: Final = """(function () {
  var d = $.decision || {};
  var by = d.by ? String(d.by) : null;
  var reason = d.reason ? String(d.reason) : null;
  var promoted = d.promote === true || d.promote === 'true';
  var decided = promoted || d.promote === false || d.promote === 'false';
  var said = (by ? ' by ' + by : '') + (reason ? ': ' + reason : '');
  return {
    promoted: promoted,
    by: by,
    reason: reason,
    message: (promoted ? 'promoted' : 'aborted') + ' at ' + $.where +
      (decided ? said : ': the pause ended without a decision')
  };
})()"""


def measure_script(conditions: Mapping[str, str]) -> str:
    """The measurement's script with each metric's success condition (an expression over
    `result`) in place, as a function per metric."""
    judges = ", ".join(
        f"{json.dumps(name)}: function (result) {{ return ({condition}); }}"
        for name, condition in conditions.items()
    )
    return _MEASURE_TEMPLATE % ("{" + judges + "}")
