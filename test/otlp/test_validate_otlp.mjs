// Tests for validate_otlp.mjs: the fixtures, plus one mutation of fixtures/good.json per rule,
// each written to a temporary directory and checked for exit code and error text.
// Run: node --test test_validate_otlp.mjs   (after npm ci in this directory)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const validator = join(here, 'validate_otlp.mjs');
const fixture = (name) => join(here, 'fixtures', name);
const CHAIN = ['--expect-chain', 'orders,payments,shipping'];
const ALL = [...CHAIN, '--expect-link'];

function run(args) {
  const r = spawnSync(process.execPath, [validator, ...args], { encoding: 'utf8' });
  const lines = r.stdout.trim().split('\n');
  return { code: r.status, summary: r.stdout ? JSON.parse(lines.at(-1)) : null, stderr: r.stderr };
}

// Spans of good.json by index: 0 publish orders, 1 process orders, 2 publish payments,
// 3 process payments (attempt 1, fails), 4 process payments (attempt 2, links to 3),
// 5 publish shipping, 6 process shipping.
function mutated(mutate) {
  const body = JSON.parse(readFileSync(fixture('good.json'), 'utf8'));
  const spans = body.resourceSpans[0].scopeSpans[0].spans;
  mutate(body, spans);
  const dir = mkdtempSync(join(tmpdir(), 'otlp-'));
  const file = join(dir, 'body.json');
  writeFileSync(file, JSON.stringify(body));
  try {
    return run([...ALL, file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function expect_error(mutate, pattern) {
  const r = mutated(mutate);
  assert.equal(r.code, 1, `expected exit 1, summary: ${JSON.stringify(r.summary)}`);
  assert.ok(r.summary.errors.some((e) => pattern.test(e)), `no error matching ${pattern} in ${JSON.stringify(r.summary.errors)}`);
}

const attr = (span, key) => span.attributes.find((a) => a.key === key);

test('good fixture passes with the chain and the retry link', () => {
  const r = run([...ALL, fixture('good.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.summary, { files: 1, spans: 7, traces: 1, chains_found: 1, links_found: 1, errors: [] });
});

test('misspelled key is reported as not in the schema', () => {
  const r = run([...ALL, fixture('bad_key.json')]);
  assert.equal(r.code, 1);
  assert.ok(r.summary.errors.some((e) => /spans\[2\]\.startTimeUnixNanos: key "startTimeUnixNanos" is not in the OTLP schema/.test(e)));
});

test('short trace id is reported and breaks the chain', () => {
  const r = run([...ALL, fixture('bad_id.json')]);
  assert.equal(r.code, 1);
  assert.ok(r.summary.errors.some((e) => /traceId must be 32 lowercase hex chars, got 10 chars/.test(e)));
  assert.equal(r.summary.chains_found, 0);
});

test('usage errors exit 2', () => {
  assert.equal(run([]).code, 2);
  assert.equal(run(['--bogus', fixture('good.json')]).code, 2);
  assert.equal(run(['--expect-chain']).code, 2);
  assert.equal(run(['--expect-chain', 'a,,b', fixture('good.json')]).code, 2);
});

test('unreadable and non-JSON files are errors', () => {
  const r = run([join(here, 'fixtures', 'no-such-file.json'), validator]);
  assert.equal(r.code, 1);
  assert.equal(r.summary.errors.length, 2);
});

test('uppercase hex id is rejected', () => expect_error((b, s) => { s[0].spanId = s[0].spanId.toUpperCase(); }, /spanId must be 16 lowercase hex chars.*use lowercase/));
test('all-zero trace id is rejected', () => expect_error((b, s) => { s[0].traceId = '0'.repeat(32); }, /traceId must not be all zeros/));
test('parent span id of wrong length is rejected', () => expect_error((b, s) => { s[1].parentSpanId += 'ab'; }, /parentSpanId must be 16 lowercase hex/));
test('timestamp as a JSON number is rejected', () => expect_error((b, s) => { s[0].endTimeUnixNano = 1714000000001000000; }, /endTimeUnixNano must be a decimal string/));
test('start after end is rejected', () => expect_error((b, s) => { s[0].startTimeUnixNano = '1714000000009000000'; }, /startTimeUnixNano .* is after endTimeUnixNano/));
test('kind as a string is rejected', () => expect_error((b, s) => { s[0].kind = 'SPAN_KIND_PRODUCER'; }, /kind must be an integer 1\.\.5/));
test('kind out of range fails protobuf verify', () => expect_error((b, s) => { s[0].kind = 9; }, /verify\(\): .*kind: enum value expected/));
test('intValue as a JSON number is rejected', () => expect_error((b, s) => { attr(s[1], 'sluice.attempt').value = { intValue: 1 }; }, /intValue must be a decimal string/));
test('boolValue as a string changes in the round trip', () => expect_error((b, s) => { s[0].attributes.push({ key: 'x', value: { boolValue: 'true' } }); }, /round trip gave true/));
test('AnyValue with a misspelled key is rejected', () => expect_error((b, s) => { s[0].attributes.push({ key: 'x', value: { stringvalue: 'a' } }); }, /stringvalue.*not in the OTLP schema/));
test('duplicate attribute key is rejected', () => expect_error((b, s) => { s[0].attributes.push(attr(s[0], 'messaging.system')); }, /duplicate attribute key "messaging.system"/));
test('missing service.name is rejected', () => expect_error((b) => { b.resourceSpans[0].resource.attributes.shift(); }, /needs service\.name/));
test('scope other than sluice is rejected', () => expect_error((b) => { b.resourceSpans[0].scopeSpans[0].scope.name = 'x'; }, /scope\.name must be "sluice"/));
test('error status without a message is rejected', () => expect_error((b, s) => { delete s[3].status.message; }, /status code 2 \(error\) needs a non-empty message/));
test('snake_case key is rejected', () => expect_error((b, s) => { s[0].parent_span_id = s[0].spanId; }, /parent_span_id.*not in the OTLP schema/));
test('null value is rejected', () => expect_error((b, s) => { s[0].traceState = null; }, /null value is dropped/));
test('publish span with the wrong kind is rejected', () => expect_error((b, s) => { s[2].kind = 3; }, /a "publish" span must have kind 4/));
test('wrong destination name is rejected', () => expect_error((b, s) => { attr(s[1], 'messaging.destination.name').value.stringValue = 'payments'; }, /messaging\.destination\.name must be "orders"/));
test('missing sluice.attempt is rejected', () => expect_error((b, s) => { s[6].attributes = s[6].attributes.filter((a) => a.key !== 'sluice.attempt'); }, /needs integer attribute sluice\.attempt/));
test('missing conversation id is rejected', () => expect_error((b, s) => { s[0].attributes = s[0].attributes.filter((a) => a.key !== 'messaging.message.conversation_id'); }, /needs string attribute messaging\.message\.conversation_id/));
test('conversation id differing from the parent publish is rejected', () => expect_error((b, s) => { attr(s[6], 'messaging.message.conversation_id').value.stringValue = 'other'; }, /conversation_id "other" differs from its parent/));
test('duplicate span is rejected', () => expect_error((b, s) => { s.push(structuredClone(s[0])); }, /duplicate span/));
test('chain broken by a wrong parent is reported', () => expect_error((b, s) => { s[5].parentSpanId = s[3].spanId.replace(/^7/, '8'); }, /no trace holds the chain.*"publish shipping" whose parent is a "process payments"/));
test('retry link with a wrong attempt number is rejected', () => expect_error((b, s) => { attr(s[4], 'sluice.attempt').value.intValue = '3'; }, /sluice\.attempt is 3 after 1 \(must be previous \+ 1\)/));
test('missing retry link fails --expect-link', () => expect_error((b, s) => { delete s[4].links; }, /--expect-link: no CONSUMER span links/));

test('spans split over several files are checked together', () => {
  const body = JSON.parse(readFileSync(fixture('good.json'), 'utf8'));
  const spans = body.resourceSpans[0].scopeSpans[0].spans;
  const dir = mkdtempSync(join(tmpdir(), 'otlp-'));
  try {
    const files = [spans.slice(0, 4), spans.slice(4)].map((part, i) => {
      const copy = structuredClone(body);
      copy.resourceSpans[0].scopeSpans[0].spans = part;
      const file = join(dir, `part${i}.json`);
      writeFileSync(file, JSON.stringify(copy));
      return file;
    });
    const r = run([...ALL, ...files]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.summary, { files: 2, spans: 7, traces: 1, chains_found: 1, links_found: 1, errors: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
