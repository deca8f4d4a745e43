"""The server-side scripts of the deployment controls (graaljs, run by INLINE tasks; pure).

`$` is the INLINE's inputs. On Conductor 3.32.3 (GraalJSEvaluator) a list input behaves as a
JavaScript array (`length`, `slice`, indexing) and a map input as an object whose keys
`for (k in m)` walks, but `Object.keys(m)` lists the Java map's methods: the scripts walk maps
with `for ... in` only. Whatever a script returns is converted back to JSON.
"""

from __future__ import annotations

from typing import Final

__all__ = ["BATCH_SCRIPT", "VERDICT_SCRIPT", "threshold_script"]

# The gate's decision, read leniently: the CLI sends a boolean, a hand-written POST may send
# "true"; no decision at all means the WAIT's timeout completed it.
VERDICT_SCRIPT: Final = """(function () {
  var d = $.decision || {};
  var by = d.by ? String(d.by) : null;
  var reason = d.reason ? String(d.reason) : null;
  var said = (by ? ' by ' + by : '') + (reason ? ': ' + reason : '');
  if (d.approved === true || d.approved === 'true') {
    return {approved: true, timedOut: false, by: by, reason: reason, message: 'approved' + said};
  }
  if (d.approved === false || d.approved === 'false') {
    return {approved: false, timedOut: false, by: by, reason: reason, message: 'rejected' + said};
  }
  return {
    approved: false, timedOut: true, by: null, reason: null,
    message: $.timeout ? 'approval timed out after ' + $.timeout : 'completed without a decision'
  };
})()"""

# Iteration n's batch (n from 1): batches of maxParallel, or one batch of everything; with a
# canary the first batch is the first item alone.
BATCH_SCRIPT: Final = """(function () {
  var items = $.items || [];
  var n = $.iteration;
  var size = $.maxParallel > 0 ? $.maxParallel : Math.max(items.length, 1);
  var start = (n - 1) * size;
  var end = start + size;
  if ($.canary === true) {
    start = n === 1 ? 0 : 1 + (n - 2) * size;
    end = n === 1 ? 1 : start + size;
  }
  return items.slice(start, end);
})()"""

# A JOIN's output is keyed by forked task: `_<fork>_<i>`, or `_<fork>_<fork>_<i>` for a fork
# after another one (ForkJoinDynamicTaskMapper), with `__<iteration>` in a loop. The index <i>
# pairs a result with the item it was forked for, whatever the output holds.
_THRESHOLD_TEMPLATE: Final = """(function () {
  function isFailed(item, output) { return (%s); }
  var prev = $.previous || null;
  var items = $.items || [];
  var results = $.results || {};
  var outOf = $.outOf == null ? items : $.outOf;
  var total = typeof outOf === 'number' ? outOf : outOf.length;
  var succeeded = [];
  var failed = [];
  var i;
  if (prev) {
    for (i = 0; i < prev.succeeded.length; i++) { succeeded.push(prev.succeeded[i]); }
    for (i = 0; i < prev.failed.length; i++) { failed.push(prev.failed[i]); }
  }
  var outputs = [];
  for (var key in results) {
    var found = String(key).replace(/__\\d+$/, '').match(/_(\\d+)$/);
    outputs[found ? parseInt(found[1], 10) : outputs.length] = results[key] || {};
  }
  var failedNow = 0;
  for (i = 0; i < items.length; i++) {
    var output = outputs[i] || {};
    if (isFailed(items[i], output)) {
      failed.push({item: items[i], output: output});
      failedNow++;
    } else {
      succeeded.push(output);
    }
  }
  var max = $.maxFailures == null ? 0 : $.maxFailures;
  var allowed = typeof max === 'string' && /%%$/.test(max)
    ? Math.floor(total * parseFloat(max) / 100)
    : Number(max);
  var started = (prev ? prev.started : 0) + items.length;
  var canaryFailed = $.canary === true && !prev && failedNow > 0;
  var exceeded = canaryFailed || failed.length > allowed;
  var reason = null;
  if (canaryFailed) {
    reason = 'the canary failed';
  } else if (exceeded) {
    reason = failed.length + ' of ' + total + ' failed, more than max_failures ' + max +
      ' tolerates (' + allowed + ')';
  }
  return {
    total: total,
    started: started,
    batches: (prev ? prev.batches : 0) + 1,
    succeeded: succeeded,
    failed: failed,
    failures: failed.length,
    allowed: allowed,
    exceeded: exceeded,
    done: exceeded || started >= total,
    reason: reason,
    remaining: exceeded && typeof outOf !== 'number' ? outOf.slice(started) : []
  };
})()"""


def threshold_script(failed: str) -> str:
    """The tally's script with the author's failure predicate (an expression over `item` and
    `output`) in place."""
    return _THRESHOLD_TEMPLATE % failed
