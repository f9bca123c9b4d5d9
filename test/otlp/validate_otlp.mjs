#!/usr/bin/env node
// Validates OTLP/HTTP JSON trace export bodies (ExportTraceServiceRequest), one per file, against
// OpenTelemetry's generated protobuf types (@opentelemetry/otlp-transformer, build/src/generated)
// and against sluice's span conventions (README.md beside this file). Single-threaded CLI.
//
// usage: node validate_otlp.mjs [--expect-chain Q1,Q2,...] [--expect-link] FILE...
// Prints one JSON line {files, spans, traces, chains_found, links_found, errors}; each error is
// also printed to stderr. Exit 0 when there are no errors, 1 when there are, 2 on usage errors.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const Long = require('long');

const { ExportTraceServiceRequest } = root.opentelemetry.proto.collector.trace.v1;

const SPAN_KIND_PRODUCER = 4;
const SPAN_KIND_CONSUMER = 5;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const USAGE = 'usage: node validate_otlp.mjs [--expect-chain Q1,Q2,...] [--expect-link] FILE...';

// ---------------------------------------------------------------------------------------------
// Command line

function parse_args(argv) {
  const opts = { chain: null, expect_link: false, files: [] };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--expect-link') {
      opts.expect_link = true;
    } else if (arg === '--expect-chain' || arg.startsWith('--expect-chain=')) {
      const value = arg === '--expect-chain' ? argv[++i] : arg.slice('--expect-chain='.length);
      if (value === undefined) throw new Error('--expect-chain needs a comma-separated list of queues');
      const queues = value.split(',').map((q) => q.trim());
      if (queues.some((q) => q === '')) throw new Error(`--expect-chain: empty queue name in "${value}"`);
      opts.chain = queues;
    } else if (arg === '-h' || arg === '--help') {
      throw new Error('help');
    } else if (arg === '--') {
      opts.files.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg}`);
    } else {
      opts.files.push(arg);
    }
  }
  if (opts.files.length === 0) throw new Error('no FILE given');
  return opts;
}

// ---------------------------------------------------------------------------------------------
// OTLP/JSON -> protobufjs object form. OTLP/JSON writes trace and span ids as hex and 64-bit
// integers as decimal strings; protobufjs's fromObject/verify want base64 bytes and Long. The walk
// follows the schema and copies every other key through untouched, so that unknown keys reach
// fromObject and are caught by the round trip.

const is_object = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const map_array = (v, fn) => (Array.isArray(v) ? v.map(fn) : v);

function hex_to_base64(v) {
  if (typeof v === 'string' && /^(?:[0-9a-fA-F]{2})*$/.test(v)) return Buffer.from(v, 'hex').toString('base64');
  return v; // left as is; the id checks report it
}

function to_long(v) {
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Long.fromString(v, false, 10);
  return v; // numbers and anything else go through; verify() and the shape checks judge them
}

function convert_any_value(v) {
  if (!is_object(v)) return v;
  const out = { ...v };
  if ('intValue' in v) out.intValue = to_long(v.intValue);
  if (is_object(v.arrayValue)) out.arrayValue = { ...v.arrayValue, values: map_array(v.arrayValue.values, convert_any_value) };
  if (is_object(v.kvlistValue)) out.kvlistValue = { ...v.kvlistValue, values: map_array(v.kvlistValue.values, convert_key_value) };
  return out;
}

function convert_key_value(kv) {
  return is_object(kv) && 'value' in kv ? { ...kv, value: convert_any_value(kv.value) } : kv;
}

function with_attributes(o) {
  return is_object(o) ? { ...o, attributes: map_array(o.attributes, convert_key_value) } : o;
}

function drop_undefined(o) {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function convert_span(s) {
  if (!is_object(s)) return s;
  const out = with_attributes(s);
  for (const k of ['traceId', 'spanId', 'parentSpanId']) if (k in s) out[k] = hex_to_base64(s[k]);
  for (const k of ['startTimeUnixNano', 'endTimeUnixNano']) if (k in s) out[k] = to_long(s[k]);
  out.events = map_array(s.events, (e) => {
    if (!is_object(e)) return e;
    const ev = with_attributes(e);
    if ('timeUnixNano' in e) ev.timeUnixNano = to_long(e.timeUnixNano);
    return drop_undefined(ev);
  });
  out.links = map_array(s.links, (l) => {
    if (!is_object(l)) return l;
    const link = with_attributes(l);
    for (const k of ['traceId', 'spanId']) if (k in l) link[k] = hex_to_base64(l[k]);
    return drop_undefined(link);
  });
  return drop_undefined(out);
}

function convert_request(req) {
  if (!is_object(req)) return req;
  return drop_undefined({
    ...req,
    resourceSpans: map_array(req.resourceSpans, (rs) => {
      if (!is_object(rs)) return rs;
      return drop_undefined({
        ...rs,
        resource: is_object(rs.resource) ? drop_undefined(with_attributes(rs.resource)) : rs.resource,
        scopeSpans: map_array(rs.scopeSpans, (ss) => {
          if (!is_object(ss)) return ss;
          return drop_undefined({
            ...ss,
            scope: is_object(ss.scope) ? drop_undefined(with_attributes(ss.scope)) : ss.scope,
            spans: map_array(ss.spans, convert_span),
          });
        }),
      });
    }),
  });
}

// ---------------------------------------------------------------------------------------------
// Round trip: every key we sent must come back from toObject(fromObject(x)) with the same value.
// verify() ignores keys it does not know; fromObject drops them, which is what this catches.

function round_trip_errors(converted) {
  let back;
  try {
    const message = ExportTraceServiceRequest.fromObject(converted);
    back = ExportTraceServiceRequest.toObject(message, { longs: String, bytes: String, json: true });
  } catch (e) {
    return [`protobuf fromObject/toObject failed: ${e.message}`];
  }
  const errors = [];
  compare(converted, back, '', errors);
  return errors;
}

function show(v) {
  if (v === undefined) return '(missing)';
  return JSON.stringify(v instanceof Long ? v.toString() : v);
}

function compare(sent, got, path, errors) {
  if (sent instanceof Long) sent = sent.toString();
  if (Array.isArray(sent)) {
    if (!Array.isArray(got)) {
      errors.push(`${path || '(root)'}: sent an array, protobuf round trip gave ${show(got)}`);
      return;
    }
    if (sent.length !== got.length) errors.push(`${path}: sent ${sent.length} elements, round trip kept ${got.length}`);
    for (let i = 0; i < Math.min(sent.length, got.length); ++i) compare(sent[i], got[i], `${path}[${i}]`, errors);
    return;
  }
  if (is_object(sent)) {
    if (!is_object(got)) {
      errors.push(`${path || '(root)'}: sent an object, protobuf round trip gave ${show(got)}`);
      return;
    }
    for (const [k, v] of Object.entries(sent)) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in got)) {
        errors.push(v === null
          ? `${p}: null value is dropped by protobuf (omit the key instead)`
          : `${p}: key "${k}" is not in the OTLP schema (misspelled or unknown; dropped by the protobuf round trip)`);
      } else {
        compare(v, got[k], p, errors);
      }
    }
    return;
  }
  if (!Object.is(sent, got)) errors.push(`${path}: sent ${show(sent)}, protobuf round trip gave ${show(got)} (wrong type or out of range)`);
}

// ---------------------------------------------------------------------------------------------
// Shape checks the protobuf types cannot make: OTLP/JSON encodings and sluice's conventions.

const HEX_TRACE_ID = /^[0-9a-f]{32}$/;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;

function check_id(value, what, re, hex_len, errors) {
  if (typeof value !== 'string') {
    errors.push(`${what} must be a ${hex_len}-char lowercase hex string, got ${show(value)}`);
  } else if (!re.test(value)) {
    const hint = /^[0-9a-fA-F]*$/.test(value) && value.length === hex_len ? ' (use lowercase)' : '';
    errors.push(`${what} must be ${hex_len} lowercase hex chars, got ${value.length} chars ${show(value)}${hint}`);
  } else if (/^0+$/.test(value)) {
    errors.push(`${what} must not be all zeros`);
  }
}

// Returns the value as a BigInt, or null after reporting why it is not a uint64 time.
function check_unix_nano(value, what, errors) {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) {
    errors.push(`${what} must be a decimal string of digits (OTLP/JSON int64), got ${show(value)}`);
    return null;
  }
  const n = BigInt(value);
  if (n === 0n || n > INT64_MAX) {
    errors.push(`${what} must be in 1..2^63-1 nanoseconds since the epoch, got ${value}`);
    return null;
  }
  return n;
}

const ANY_VALUE_KEYS = ['stringValue', 'intValue', 'boolValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];

function check_any_value(v, what, errors) {
  if (!is_object(v)) {
    errors.push(`${what} must be an AnyValue object, got ${show(v)}`);
    return;
  }
  const keys = Object.keys(v);
  if (keys.length !== 1 || !ANY_VALUE_KEYS.includes(keys[0])) {
    errors.push(`${what} must have exactly one of ${ANY_VALUE_KEYS.join('|')}, got keys [${keys.join(', ')}]`);
    return;
  }
  const [k] = keys;
  const x = v[k];
  if (k === 'stringValue' && typeof x !== 'string') errors.push(`${what}.stringValue must be a string, got ${show(x)}`);
  if (k === 'boolValue' && typeof x !== 'boolean') errors.push(`${what}.boolValue must be true or false, got ${show(x)}`);
  if (k === 'intValue') {
    if (typeof x !== 'string' || !/^-?\d+$/.test(x)) {
      errors.push(`${what}.intValue must be a decimal string (OTLP/JSON int64), got ${show(x)}`);
    } else if (BigInt(x) < INT64_MIN || BigInt(x) > INT64_MAX) {
      errors.push(`${what}.intValue ${x} is out of int64 range`);
    }
  }
  if (k === 'doubleValue' && typeof x !== 'number' && !['NaN', 'Infinity', '-Infinity'].includes(x)) {
    errors.push(`${what}.doubleValue must be a JSON number, got ${show(x)}`);
  }
  if (k === 'bytesValue' && (typeof x !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(x))) {
    errors.push(`${what}.bytesValue must be a base64 string, got ${show(x)}`);
  }
  if (k === 'arrayValue') {
    if (!is_object(x) || !Array.isArray(x.values)) errors.push(`${what}.arrayValue must be {values: [AnyValue...]}`);
    else x.values.forEach((e, i) => check_any_value(e, `${what}.arrayValue.values[${i}]`, errors));
  }
  if (k === 'kvlistValue') {
    if (!is_object(x) || !Array.isArray(x.values)) errors.push(`${what}.kvlistValue must be {values: [KeyValue...]}`);
    else check_attributes(x.values, `${what}.kvlistValue.values`, errors);
  }
}

// Returns a Map key -> AnyValue of the well-formed attributes.
function check_attributes(attrs, what, errors) {
  const out = new Map();
  if (attrs === undefined) return out;
  if (!Array.isArray(attrs)) {
    errors.push(`${what} must be an array of {key, value}, got ${show(attrs)}`);
    return out;
  }
  attrs.forEach((kv, i) => {
    const w = `${what}[${i}]`;
    if (!is_object(kv) || typeof kv.key !== 'string' || kv.key === '') {
      errors.push(`${w} must be {key: non-empty string, value: AnyValue}, got ${show(kv)}`);
      return;
    }
    if (out.has(kv.key)) errors.push(`${w}: duplicate attribute key "${kv.key}"`);
    check_any_value(kv.value, `${w} (${kv.key}).value`, errors);
    out.set(kv.key, kv.value);
  });
  return out;
}

function check_span(s, what, errors) {
  if (!is_object(s)) {
    errors.push(`${what} must be an object`);
    return null;
  }
  const label = typeof s.name === 'string' ? `${what} "${s.name}"` : what;
  if (typeof s.name !== 'string' || s.name === '') errors.push(`${label}: name must be a non-empty string`);
  check_id(s.traceId, `${label}: traceId`, HEX_TRACE_ID, 32, errors);
  check_id(s.spanId, `${label}: spanId`, HEX_SPAN_ID, 16, errors);
  if (s.parentSpanId !== undefined && s.parentSpanId !== '') {
    check_id(s.parentSpanId, `${label}: parentSpanId`, HEX_SPAN_ID, 16, errors);
  }
  if (!Number.isInteger(s.kind) || s.kind < 1 || s.kind > 5) {
    errors.push(`${label}: kind must be an integer 1..5 (PRODUCER=4, CONSUMER=5), got ${show(s.kind)}`);
  }
  const start = check_unix_nano(s.startTimeUnixNano, `${label}: startTimeUnixNano`, errors);
  const end = check_unix_nano(s.endTimeUnixNano, `${label}: endTimeUnixNano`, errors);
  if (start !== null && end !== null && start > end) {
    errors.push(`${label}: startTimeUnixNano ${start} is after endTimeUnixNano ${end}`);
  }
  const attrs = check_attributes(s.attributes, `${label}: attributes`, errors);
  map_array(s.events ?? [], (e, i) => {
    const w = `${label}: events[${i}]`;
    if (!is_object(e)) return errors.push(`${w} must be an object`);
    if (typeof e.name !== 'string' || e.name === '') errors.push(`${w}: name must be a non-empty string`);
    check_unix_nano(e.timeUnixNano, `${w}: timeUnixNano`, errors);
    check_attributes(e.attributes, `${w}: attributes`, errors);
  });
  const links = [];
  map_array(s.links ?? [], (l, i) => {
    const w = `${label}: links[${i}]`;
    if (!is_object(l)) return errors.push(`${w} must be an object`);
    const before = errors.length;
    check_id(l.traceId, `${w}: traceId`, HEX_TRACE_ID, 32, errors);
    check_id(l.spanId, `${w}: spanId`, HEX_SPAN_ID, 16, errors);
    check_attributes(l.attributes, `${w}: attributes`, errors);
    if (errors.length === before) links.push({ traceId: l.traceId, spanId: l.spanId });
  });
  if (s.status !== undefined) {
    const st = s.status;
    if (!is_object(st) || ![0, 1, 2].includes(st.code)) {
      errors.push(`${label}: status must be {code: 1} (ok) or {code: 2, message} (error), got ${show(st)}`);
    } else if (st.code === 2 && (typeof st.message !== 'string' || st.message === '')) {
      errors.push(`${label}: status code 2 (error) needs a non-empty message`);
    }
  }
  return {
    where: label,
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId || null,
    name: s.name,
    kind: s.kind,
    attrs,
    links,
  };
}

// ---------------------------------------------------------------------------------------------
// sluice messaging conventions on "publish <queue>" (PRODUCER) and "process <queue>" (CONSUMER).

const string_attr = (span, key) => span.attrs.get(key)?.stringValue;
const int_attr = (span, key) => {
  const v = span.attrs.get(key)?.intValue;
  return typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : null;
};

function messaging_op(span) {
  const m = typeof span.name === 'string' ? /^(publish|process) (.+)$/.exec(span.name) : null;
  return m ? { op: m[1], queue: m[2] } : null;
}

function check_messaging_span(span, errors) {
  const m = messaging_op(span);
  if (!m) return;
  const w = span.where;
  const want_kind = m.op === 'publish' ? SPAN_KIND_PRODUCER : SPAN_KIND_CONSUMER;
  if (span.kind !== want_kind) errors.push(`${w}: a "${m.op}" span must have kind ${want_kind}, got ${show(span.kind)}`);
  const want_string = (key, expected) => {
    const v = string_attr(span, key);
    if (typeof v !== 'string' || v === '') errors.push(`${w}: needs string attribute ${key}${expected ? ` = ${show(expected)}` : ''}`);
    else if (expected !== undefined && v !== expected) errors.push(`${w}: attribute ${key} must be ${show(expected)}, got ${show(v)}`);
  };
  want_string('messaging.system', 'sluice');
  want_string('messaging.destination.name', m.queue);
  want_string('messaging.operation.type', m.op);
  want_string('messaging.message.conversation_id');
  if (m.op === 'process') {
    want_string('messaging.message.id');
    const attempt = int_attr(span, 'sluice.attempt');
    if (attempt === null || attempt < 1n) {
      errors.push(`${w}: needs integer attribute sluice.attempt >= 1 ({intValue: "1"}), got ${show(span.attrs.get('sluice.attempt'))}`);
    }
  } else if (span.attrs.has('messaging.message.id') && typeof string_attr(span, 'messaging.message.id') !== 'string') {
    errors.push(`${w}: attribute messaging.message.id must be a stringValue`);
  }
}

// A process span's parent publish span carries the same message and conversation.
function check_parent_publish(span, by_id, errors) {
  if (messaging_op(span)?.op !== 'process' || !span.parentSpanId) return;
  const parent = by_id.get(`${span.traceId}/${span.parentSpanId}`);
  if (!parent || messaging_op(parent)?.op !== 'publish') return;
  for (const key of ['messaging.message.conversation_id', 'messaging.message.id']) {
    const mine = string_attr(span, key);
    const theirs = string_attr(parent, key);
    if (theirs !== undefined && mine !== undefined && mine !== theirs) {
      errors.push(`${span.where}: ${key} ${show(mine)} differs from its parent ${parent.where}'s ${show(theirs)}`);
    }
  }
}

// Counts traces holding publish Q1 -> process Q1 -> publish Q2 -> ... -> process Qn by parent ids.
function find_chains(spans_by_trace, chain) {
  let found = 0;
  let best = { trace: null, reached: -1, missing: `publish ${chain[0]}` };
  for (const [trace, spans] of spans_by_trace) {
    let frontier = null; // span ids of the previous step's process spans
    let reached = -1;
    let missing = null;
    for (let i = 0; i < chain.length && missing === null; ++i) {
      const q = chain[i];
      const pubs = new Set(spans
        .filter((s) => s.name === `publish ${q}` && s.kind === SPAN_KIND_PRODUCER && (frontier === null || frontier.has(s.parentSpanId)))
        .map((s) => s.spanId));
      if (pubs.size === 0) {
        missing = i === 0
          ? `a PRODUCER span "publish ${q}"`
          : `a PRODUCER span "publish ${q}" whose parent is a "process ${chain[i - 1]}" span`;
        break;
      }
      const procs = new Set(spans
        .filter((s) => s.name === `process ${q}` && s.kind === SPAN_KIND_CONSUMER && pubs.has(s.parentSpanId))
        .map((s) => s.spanId));
      if (procs.size === 0) {
        missing = `a CONSUMER span "process ${q}" whose parent is a "publish ${q}" span`;
        break;
      }
      frontier = procs;
      reached = i;
    }
    if (missing === null) ++found;
    else if (reached > best.reached) best = { trace, reached, missing };
  }
  return { found, best };
}

// Counts CONSUMER spans linking to an earlier attempt (a CONSUMER span of the same message).
function find_retry_links(spans, by_id, errors) {
  let found = 0;
  let consumer_links = 0;
  for (const span of spans) {
    if (span.kind !== SPAN_KIND_CONSUMER) continue;
    for (const link of span.links) {
      ++consumer_links;
      const target = by_id.get(`${link.traceId}/${link.spanId}`);
      if (!target || target.kind !== SPAN_KIND_CONSUMER) continue;
      const id = string_attr(span, 'messaging.message.id');
      if (id === undefined || id !== string_attr(target, 'messaging.message.id')) continue;
      const attempt = int_attr(span, 'sluice.attempt');
      const previous = int_attr(target, 'sluice.attempt');
      if (attempt === null || previous === null || attempt !== previous + 1n) {
        errors.push(`${span.where}: links to ${target.where} of the same message ${show(id)} but sluice.attempt is ` +
          `${attempt ?? 'missing'} after ${previous ?? 'missing'} (must be previous + 1)`);
        continue;
      }
      ++found;
    }
  }
  return { found, consumer_links };
}

// ---------------------------------------------------------------------------------------------

function check_file(file, spans, errors) {
  const err = (msg) => errors.push(`${file}: ${msg}`);
  let body;
  try {
    body = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    err(e.code ? `cannot read: ${e.message}` : `not JSON: ${e.message}`);
    return;
  }
  if (!is_object(body) || !Array.isArray(body.resourceSpans) || body.resourceSpans.length === 0) {
    err('body must be an ExportTraceServiceRequest object with a non-empty resourceSpans array');
    return;
  }

  const converted = convert_request(body);
  const verdict = ExportTraceServiceRequest.verify(converted);
  if (verdict !== null) err(`ExportTraceServiceRequest.verify(): ${verdict}`);
  for (const e of round_trip_errors(converted)) err(e);

  const local = [];
  body.resourceSpans.forEach((rs, i) => {
    const w = `resourceSpans[${i}]`;
    if (!is_object(rs)) return local.push(`${w} must be an object`);
    const res_attrs = check_attributes(rs.resource?.attributes, `${w}.resource.attributes`, local);
    const service = res_attrs.get('service.name')?.stringValue;
    if (typeof service !== 'string' || service === '') local.push(`${w}.resource.attributes needs service.name as a non-empty stringValue`);
    if (!Array.isArray(rs.scopeSpans)) return local.push(`${w}.scopeSpans must be an array`);
    rs.scopeSpans.forEach((ss, j) => {
      const ws = `${w}.scopeSpans[${j}]`;
      if (!is_object(ss)) return local.push(`${ws} must be an object`);
      if (ss.scope?.name !== 'sluice') local.push(`${ws}.scope.name must be "sluice", got ${show(ss.scope?.name)}`);
      if (ss.scope?.attributes !== undefined) check_attributes(ss.scope.attributes, `${ws}.scope.attributes`, local);
      if (!Array.isArray(ss.spans)) return local.push(`${ws}.spans must be an array`);
      ss.spans.forEach((s, k) => {
        const span = check_span(s, `${ws}.spans[${k}]`, local);
        if (span) spans.push({ ...span, where: `${file}: ${span.where}` });
      });
    });
  });
  local.forEach(err);
}

function main(argv) {
  let opts;
  try {
    opts = parse_args(argv);
  } catch (e) {
    if (e.message !== 'help') console.error(`error: ${e.message}`);
    console.error(USAGE);
    return e.message === 'help' ? 0 : 2;
  }

  const errors = [];
  const spans = [];
  for (const file of opts.files) check_file(file, spans, errors);

  // Cross-span checks consider spans with well-formed ids only; the others are already reported.
  const good = spans.filter((s) => HEX_TRACE_ID.test(s.traceId ?? '') && HEX_SPAN_ID.test(s.spanId ?? ''));
  const by_id = new Map();
  const by_trace = new Map();
  for (const s of good) {
    const key = `${s.traceId}/${s.spanId}`;
    if (by_id.has(key)) errors.push(`${s.where}: duplicate span (traceId ${s.traceId}, spanId ${s.spanId}) also at ${by_id.get(key).where}`);
    else by_id.set(key, s);
    if (!by_trace.has(s.traceId)) by_trace.set(s.traceId, []);
    by_trace.get(s.traceId).push(s);
  }
  for (const s of good) {
    check_messaging_span(s, errors);
    check_parent_publish(s, by_id, errors);
  }

  let chains_found = 0;
  if (opts.chain) {
    const { found, best } = find_chains(by_trace, opts.chain);
    chains_found = found;
    if (found === 0) {
      const where = best.trace ? `closest trace ${best.trace} lacks` : 'no trace has';
      errors.push(`--expect-chain ${opts.chain.join(',')}: no trace holds the chain; ${where} ${best.missing}`);
    }
  }
  const links = find_retry_links(good, by_id, errors);
  if (opts.expect_link && links.found === 0) {
    errors.push(`--expect-link: no CONSUMER span links to an earlier CONSUMER span of the same messaging.message.id ` +
      `with sluice.attempt one lower (${links.consumer_links} link(s) on CONSUMER spans seen)`);
  }

  for (const e of errors) console.error(`error: ${e}`);
  console.log(JSON.stringify({
    files: opts.files.length,
    spans: spans.length,
    traces: new Set(spans.map((s) => s.traceId).filter((t) => typeof t === 'string')).size,
    chains_found,
    links_found: links.found,
    errors,
  }));
  return errors.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
