#!/usr/bin/env node
'use strict';
/*
 * redis-ci's Node probe: `redis-ci wait` for job containers that have Node but no python3
 * (node:*-slim, or the runner's own Node under /__e). One file, Node >= 16, core modules only.
 *
 * It is a faithful copy of the Python probe (src/redis_ci/probe/): the same flags, checks
 * (ping, pubsub, rw, info, --min-version, --module), failure kinds, final-ness, hints, deadline
 * rule, text and JSON output, GitHub Actions outputs, step summary, masking and redaction.
 * tests/faults/ runs both probes from one table and holds them to the same verdicts.
 * Cluster and sentinel waits stay Python-only: those flags are refused with exit 2.
 *
 *   node probe.js [wait] --url redis://host:6379/0 --timeout 60 --checks ping,pubsub [--format json]
 *
 * Exit codes: 0 ready, 1 not ready by the deadline or a final failure, 2 bad usage, 3 internal.
 */

const crypto = require('crypto');
const dns = require('dns');
const fs = require('fs');
const net = require('net');

// Only TLS targets load the tls module (like the Python probe's ssl): it costs start-up time.
let tlsModule = null;
function tlsLib() {
  if (tlsModule === null) tlsModule = require('tls');
  return tlsModule;
}

// --- constants (src/redis_ci/recipe.py, probe/resp.py, checks.py, poll.py) -------------------
const REDIS_PORT = 6379;
const DEFAULT_URL = `redis://localhost:${REDIS_PORT}/0`;
const WAIT_TIMEOUT_SECONDS = 60;
const WAIT_CHECKS = ['ping', 'pubsub'];
const SELECTABLE = ['ping', 'pubsub', 'rw', 'info'];
const TCP_SCHEMES = { redis: false, valkey: false, rediss: true, valkeys: true }; // scheme -> TLS
// A host is a name (letters, digits, `-`, `_`, `.`; IDN letters too) or an IPv6 address with an
// optional zone: anything else (a space, a slash, a control character) can never resolve.
const HOST_NAME = /^(?:[\p{L}\p{N}_.-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[\p{L}\p{N}_.-]+)?)$/u;
const REDACTED = '***';
const MAX_LINE_BYTES = 64 * 1024; // any one line (+OK, -ERR ..., a length header)
const MAX_NESTING = 16; // arrays within arrays: no reply this probe reads nests more than 2
// What one reply may total (lines and bulk data together): the probe reads in full only replies
// it needs; anything else (an odd PING reply, a GET of our own token) is cut at a few KiB.
const SMALL_REPLY_BYTES = 4 * 1024;
const LARGE_REPLY_BYTES = 4 * 1024 * 1024; // INFO, MODULE LIST
const PUBSUB_DELIVERY_SECONDS = 1.0;
const RW_KEY_TTL_MS = 10000;
const KEY_PREFIX = 'redis-ci:wait:';
const MIN_PAUSE_SECONDS = 0.005;
const MAX_PAUSE_SECONDS = 0.25;
const LAG_SHARE = 0.02;
const ATTEMPT_SECONDS = 5.0;
const OUTPUT_KEYS = ['ready', 'redis-version', 'elapsed-ms', 'url'];
const MAX_MESSAGE_CHARS = 1000; // server-provided text in every message (stderr, JSON, step summary)
const MAX_SUMMARY_BYTES = 64 * 1024; // far below GitHub's 1 MiB per step
const DESCRIBABLE_KINDS = new Set(['loading', 'readonly', 'misconf', 'oom', 'masterdown', 'version', 'module-missing']);
const DEADLINE_KINDS = new Set(['timeout', 'dns', 'tls']);
// Python-only waits: the Node probe refuses them in one line.
const TOPOLOGY_FLAGS = ['--cluster', '--node', '--sentinel', '--master-name', '--replicas',
  '--sentinel-username', '--sentinel-password'];

// --- failure kinds (probe/failures.py; the names are a public contract) ----------------------
function kind(name, final, hint, actionsHint = '') { return { name, final, hint, actionsHint }; }
const KINDS = {};
for (const entry of [
  kind("refused",
         false,
         "nothing listens at {address}: is redis-server started, on this host and port?",
         "nothing listens at {address}: in a runner job map the port (`ports: ['6379:6379']`) and use 127.0.0.1; in a container job use the service label as host; check the port number"),
  kind("timeout",
         false,
         "{address} did not answer in time: a firewall dropping packets, a wrong host, or a stopped server",
         "{address} did not answer in time: a wrong host or port, or a service that is not started"),
  kind("dns",
         false,
         "the host name of {address} does not resolve: check the spelling",
         "the host name of {address} does not resolve: a service label resolves only inside a container job (`container:`); in a runner job use 127.0.0.1"),
  kind("tls",
         false,
         "TLS handshake with {address} failed: check rediss:// / --tls, the CA (--tls-ca-cert) and the client certificate (--tls-cert/--tls-key)"),
  kind("auth",
         true,
         "authentication failed: check the password (--password, REDISCLI_AUTH, the URL) and the ACL user (--username)"),
  kind("loading",
         false,
         "Redis is loading its dataset into memory; it serves when done"),
  kind("protected-mode",
         true,
         "Redis refuses non-loopback clients in protected mode: set a password (requirepass) or start it with --protected-mode no"),
  kind("misconf",
         false,
         "Redis refuses writes because a background save failed: enable memory overcommit (sysctl vm.overcommit_memory=1) or disable persistence (--save '')"),
  kind("readonly",
         false,
         "{address} is a read-only replica: point the URL at the master"),
  kind("oom",
         false,
         "Redis is over its maxmemory and refuses writes: raise maxmemory or set an eviction policy"),
  kind("busy",
         false,
         "Redis is busy (a long Lua script or function, or maxclients reached); it serves when done"),
  kind("masterdown",
         false,
         "this replica lost its master and does not serve stale data: start the master"),
  kind("protocol",
         false,
         "{address} does not speak RESP: another service on this port, or a TLS port (use rediss://)"),
  kind("closed",
         false,
         "{address} closed the connection: a server still starting behind a port proxy, a TLS-only port (use rediss://), a TLS server that requires a client certificate (--tls-cert, --tls-key), or maxclients reached"),
  kind("pubsub-undelivered",
         false,
         "a published message did not reach the subscriber: a proxy or load balancer that does not route pub/sub, or a Sentinel port"),
  kind("bad-db",
         true,
         "the server has no such database: the URL's /N or --db must be below its `databases` setting (16 by default); a cluster has only database 0"),
  kind("version",
         true,
         "the server is older than --min-version: use a newer image"),
  kind("module-missing",
         true,
         "a required module is not loaded: use an image that bundles it (redis:8, redis/redis-stack-server) or load it with --loadmodule"),
  kind("noperm",
         true,
         "the ACL user may not run a command or key the probe needs: grant it +ping +info +role +set +get +del +publish +subscribe (+cluster|info +cluster|shards +cluster|myid on a cluster) and ~redis-ci:* &redis-ci:*, or use --checks to skip what it may not do"),
  kind("error",
         false,
         "Redis answered an error this probe does not know; see the message"),
]) KINDS[entry.name] = entry;

class Failure {
  constructor(kindName, message, final = null, address = '') {
    this.kind = kindName;
    this.message = message;
    this.final = final === null ? KINDS[kindName].final : final;
    this.address = address;
  }

  hint(address, inActions) {
    const entry = KINDS[this.kind];
    const text = inActions && entry.actionsHint ? entry.actionsHint : entry.hint;
    return text.split('{address}').join(this.address || address);
  }
}

class ProbeFailure extends Error {
  constructor(kindName, message, final = null) { super(message); this.failure = new Failure(kindName, message, final); }
}
class UsageError extends Error {}
// argparse's own errors: `PROG: error: MESSAGE (see --help)`.
class ArgumentError extends UsageError { constructor(message, prog = 'redis-ci wait') { super(message); this.prog = prog; } }
class ReplyError extends Error { constructor(text) { super(text); this.text = text; } }
class ProtocolError extends Error {}
class SocketTimeout extends Error {} // Python's socket.timeout
class TlsHandshakeTimeout extends SocketTimeout {}
class DnsError extends Error { constructor(strerror) { super(strerror); this.strerror = strerror; } }
class TlsVerifyError extends Error { constructor(verifyMessage) { super(verifyMessage); this.verifyMessage = verifyMessage; } }
class TlsEof extends Error {}
// A socket error with Python's errno name and strerror text.
class OsError extends Error {
  constructor(code, strerror) { super(strerror); this.code = code; this.strerror = strerror; }
}

// The C library's texts, as Python's OSError.strerror shows them.
const STRERROR = {
  ECONNREFUSED: 'Connection refused', ENOENT: 'No such file or directory', EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable', EADDRNOTAVAIL: 'Cannot assign requested address',
  ECONNRESET: 'Connection reset by peer', EPIPE: 'Broken pipe', ECONNABORTED: 'Software caused connection abort',
  ESHUTDOWN: 'Cannot send after transport endpoint shutdown', EACCES: 'Permission denied',
  EISDIR: 'Is a directory', ENOTDIR: 'Not a directory', EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device', EPERM: 'Operation not permitted', ETIMEDOUT: 'Connection timed out',
  ENOTSOCK: 'Socket operation on non-socket', EINVAL: 'Invalid argument', EAFNOSUPPORT: 'Address family not supported by protocol',
};
const GAI_STRERROR = {
  ENOTFOUND: 'Name or service not known', EAI_NONAME: 'Name or service not known', EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_NODATA: 'No address associated with hostname', EAI_FAIL: 'Non-recoverable failure in name resolution',
  EAI_FAMILY: 'ai_family not supported', EAI_SERVICE: 'Servname not supported for ai_socktype',
};
const REFUSED_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ESHUTDOWN']);

function osError(error) {
  if (error instanceof OsError) return error;
  return new OsError(error.code || '', STRERROR[error.code] || error.message);
}

// Error reply prefix (first word of `-ERR ...`) -> kind.
const REPLY_KINDS = {
  LOADING: 'loading', NOAUTH: 'auth', WRONGPASS: 'auth', NOPERM: 'noperm', DENIED: 'protected-mode',
  MISCONF: 'misconf', READONLY: 'readonly', OOM: 'oom', BUSY: 'busy', MASTERDOWN: 'masterdown',
};

function fromErrorReply(text) {
  const prefix = text.split(' ', 1)[0];
  let kindName = Object.prototype.hasOwnProperty.call(REPLY_KINDS, prefix) ? REPLY_KINDS[prefix] : null;
  if (kindName === null) {
    const lowered = text.toLowerCase();
    if (lowered.includes('max number of clients')) kindName = 'busy';
    else if (lowered.includes('without any password configured') || lowered.includes('invalid password')) kindName = 'auth';
    else kindName = 'error';
  }
  return new Failure(kindName, `server replied: ${oneLine(text)}`);
}

// The Failure for anything an attempt threw (probe/failures.py `classify`).
function classify(error, address) {
  if (error instanceof ProbeFailure) return error.failure;
  if (error instanceof ReplyError) return fromErrorReply(error.text);
  if (error instanceof ProtocolError) return new Failure('protocol', `${address} does not speak RESP: ${error.message}`);
  if (error instanceof TlsVerifyError) return new Failure('tls', `certificate of ${address} not accepted: ${error.verifyMessage}`, true);
  if (error instanceof TlsEof) return new Failure('closed', `${address} closed the connection during the TLS handshake`);
  if (typeof error.code === 'string' && error.code.startsWith('ERR_SSL_')) {
    const reason = error.code.slice('ERR_SSL_'.length);
    const final = reason === 'WRONG_VERSION_NUMBER'; // a plain-text server: waiting will not make it speak TLS
    let detail = reason;
    if (final) detail = 'the server does not speak TLS on this port';
    else if (reason.includes('CERTIFICATE_REQUIRED')) detail = `${reason}: the server requires a client certificate (--tls-cert, --tls-key)`;
    return new Failure('tls', `TLS with ${address} failed: ${detail}`, final);
  }
  if (error instanceof DnsError) return new Failure('dns', `cannot resolve ${address}: ${error.strerror}`);
  if (error instanceof TlsHandshakeTimeout) {
    return new Failure('tls', `${address} did not answer the TLS handshake: is it a plain-text (non-TLS) port?`);
  }
  if (error instanceof SocketTimeout) return new Failure('timeout', `${address} did not answer in time`);
  if (error instanceof RangeError) return new Failure('protocol', `${address} does not speak RESP: ${error.message}`);
  const os = osError(error);
  if (REFUSED_CODES.has(os.code)) return new Failure('refused', `cannot connect to ${address}: ${os.strerror}`);
  if (CLOSED_CODES.has(os.code)) return new Failure('closed', `${address} closed the connection (${os.strerror})`);
  return new Failure('closed', `connection to ${address} failed: ${oneLine(String(os.strerror || error))}`);
}

// --- Python's text conventions (repr, str.split, isprintable, %g, json.dumps) -----------------
const PY_SPACE = '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACES = new RegExp(`[${PY_SPACE}]+`, 'g');
const NOT_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}\p{Zs}]/u;

function isPrintable(ch) { return ch === ' ' || !NOT_PRINTABLE.test(ch); }

function oneLine(text, limit = 200) {
  const flat = Array.from(text.split(PY_SPACES).filter(Boolean).join(' '), (ch) => (isPrintable(ch) ? ch : '?'));
  return flat.length <= limit ? flat.join('') : flat.slice(0, limit - 3).join('') + '...';
}

function hex(code, width) { return code.toString(16).padStart(width, '0'); }

function reprStr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (isPrintable(ch)) out += ch;
    else if (code < 0x100) out += '\\x' + hex(code, 2);
    else if (code < 0x10000) out += '\\u' + hex(code, 4);
    else out += '\\U' + hex(code, 8);
  }
  return out + quote;
}

function reprBytes(data) {
  const quote = data.includes(0x27) && !data.includes(0x22) ? 0x22 : 0x27;
  let out = 'b' + String.fromCharCode(quote);
  for (const byte of data) {
    if (byte === quote || byte === 0x5c) out += '\\' + String.fromCharCode(byte);
    else if (byte === 0x09) out += '\\t';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte < 0x20 || byte >= 0x7f) out += '\\x' + hex(byte, 2);
    else out += String.fromCharCode(byte);
  }
  return out + String.fromCharCode(quote);
}

// repr() of a reply: str (simple string), bytes (bulk), int, None, list.
function repr(value) {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return reprStr(value);
  if (Buffer.isBuffer(value)) return reprBytes(value);
  if (Array.isArray(value)) return '[' + value.map(repr).join(', ') + ']';
  if (value instanceof ReplyError) return `ReplyError(${reprStr(value.text)})`;
  return String(value);
}


// Python's `{x:g}`.
function formatG(value) {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const [mantissa, exponentText] = value.toExponential(5).split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const digits = mantissa.replace(/\.?0+$/, '');
    return `${digits}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return value.toFixed(Math.max(0, 5 - exponent)).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

// Python's repr of a float (the JSON `elapsed_ms` and `ms` are floats).
function floatRepr(value) {
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return value.toFixed(1);
  return String(value).replace(/e([+-])(\d)$/, 'e$10$2');
}

const FLOAT_KEYS = new Set(['elapsed_ms', 'ms']);

// json.dumps(value) as Python writes it: ", " and ": ", ASCII only, floats with a dot.
function pyJson(value, isFloat = false) {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') return isFloat ? floatRepr(value) : String(value);
  if (typeof value === 'string') return '"' + jsonEscaped(value, true) + '"';
  if (Array.isArray(value)) return '[' + value.map((item) => pyJson(item)).join(', ') + ']';
  return '{' + Object.keys(value).map((key) => `${pyJson(key)}: ${pyJson(value[key], FLOAT_KEYS.has(key))}`).join(', ') + '}';
}

const JSON_ESCAPES = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

// json.dumps(text)[1:-1]: with `ascii`, every character outside printable ASCII as \uXXXX (UTF-16
// units, as Python writes them); without (ensure_ascii=False), only quotes, backslashes and controls.
function jsonEscaped(text, ascii) {
  return text.replace(ascii ? /[^ -~]|["\\]/g : /[\x00-\x1f"\\]/g, (ch) => JSON_ESCAPES[ch] || '\\u' + hex(ch.charCodeAt(0), 4));
}

// `text` cut to `limit` characters (code points, as Python counts), ending in `...` when cut.
function cut(text, limit) {
  if (text.length <= limit) return text;
  const chars = Array.from(text);
  return chars.length <= limit ? text : chars.slice(0, limit - 3).join('') + '...';
}

// str.splitlines()
function splitLines(text) {
  return text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/).filter((line, index, all) => index < all.length - 1 || line !== '');
}

// urllib.parse.quote(text, safe='')
function quote(text) {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(ch) ? ch : '%' + hex(byte, 2).toUpperCase();
  }
  return out;
}

// urllib.parse.unquote(text): %XX runs decoded as UTF-8 with replacement; a stray % stays.
function unquote(text) {
  return text.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

// --- passwords kept out of every output (probe/redaction.py) ------------------------------------
// A server or proxy may echo a password (in an error reply, say), and every later step (decoding,
// collapsing whitespace, JSON, URL or workflow-command escaping, cutting to a length) would turn it
// into a form a plain search no longer finds. So the RESP client redacts every reply's bytes as it
// reads them, before any of that, and the reporter redacts every text it writes once more, in
// every form `passwordForms` lists.
const REDACTED_BYTES = Buffer.from(REDACTED);

function collapsed(text) { return text.split(PY_SPACES).filter(Boolean).join(' '); }

// `text` as it may appear once encoded: raw, URL-encoded (three ways), JSON-escaped (ASCII or
// not), as a workflow command's data, on one line (printable or not), and inside a str or bytes
// repr (how messages quote a reply).
function encodings(text) {
  return [
    text,
    quote(text),
    quote(text).replace(/%2F/g, '/'), // quote(text): `/` is safe
    quote(text).replace(/%20/g, '+'), // quote_plus(text)
    jsonEscaped(text, true),
    jsonEscaped(text, false),
    escapeData(text),
    collapsed(text),
    oneLine(text, Infinity),
    ...reprForms(text),
  ];
}

// `text` inside a str or a bytes repr (how messages quote a reply), in each of repr's two quotings:
// `'` escaped (the reply holds both quotes, or this one alone) or not (only `'`).
function reprForms(text) {
  return [reprStr(text + '\'"').slice(1, -4), reprBytes(Buffer.from(text + '\'"', 'utf8')).slice(2, -4)]
    .flatMap((shown) => [shown, shown.replace(/\\'/g, "'")]);
}

function longestFirst(forms) {
  return [...new Set(forms)].sort((a, b) => b.length - a.length || (a < b ? -1 : Number(a > b)));
}

// Every form of `password` to redact, longest first (so the whole value goes before its parts):
// its encodings, and those of each line of a multi-line password.
function passwordForms(password) {
  const lines = splitLines(password).length > 1 ? splitLines(password).filter((line) => pyStrip(line)) : [];
  return longestFirst([password, ...lines].flatMap(encodings).filter((form) => pyStrip(form)));
}

// The values to hand to `::add-mask::`: the whole password (escaped, so one command holds it) and
// each of its lines (the runner masks what it is given; a log line holds one line), for the raw and
// the URL-encoded password.
function maskLines(password) {
  const values = [password, quote(password)].flatMap(
    (form) => [escapeData(form), ...splitLines(form).filter((line) => pyStrip(line)).map(escapeData)]);
  return [...new Set(values.filter((value) => pyStrip(value)))];
}

function replaceBytes(data, form, replacement) {
  let at = data.indexOf(form);
  if (at < 0) return data;
  const parts = [];
  let from = 0;
  for (; at >= 0; at = data.indexOf(form, from)) {
    parts.push(data.subarray(from, at), replacement);
    from = at + form.length;
  }
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}

// Replaces every form of the given passwords with `***`, in text and in bytes.
class Redactor {
  constructor(passwords = []) {
    this.passwords = [...new Set(passwords)].filter(Boolean);
    this.forms = longestFirst(this.passwords.flatMap(passwordForms));
    // In replies, only the whole password's forms: a short line of a multi-line password
    // replaced inside INFO or a token would change what the checks read.
    this.byteForms = longestFirst(this.passwords.flatMap(encodings).filter((form) => pyStrip(form)))
      .map((form) => Buffer.from(form, 'utf8'));
  }

  text(text) {
    for (const form of this.forms) if (text.includes(form)) text = text.split(form).join(REDACTED);
    return text;
  }

  // For the RESP client: a reply line's bytes, redacted before anything decodes them.
  data(data) {
    for (const form of this.byteForms) data = replaceBytes(data, form, REDACTED_BYTES);
    return data;
  }

  // A reply value for a message: redacted, then repr, redacted again (a line of a multi-line password
// is only found in the text, escaped as repr shows it), then cut to `limit` characters.
  shown(value, limit = 120) {
    const redact = (item) => {
      if (Buffer.isBuffer(item)) return this.data(item);
      if (typeof item === 'string') return this.text(item);
      if (Array.isArray(item)) return [...item.slice(0, 8).map(redact), ...(item.length > 8 ? ['...'] : [])];
      return item;
    };
    return cut(this.text(repr(redact(value))), limit);
  }
}

// --- the deadline -----------------------------------------------------------------------------
function now() { return Number(process.hrtime.bigint()) / 1e9; }

class Deadline {
  constructor(seconds, at = null, started = null) {
    this.started = started === null ? now() : started;
    this.at = at === null ? this.started + seconds : at;
  }

  remaining() { return this.at - now(); }

  expired() { return this.remaining() <= 0; }

  sooner(seconds) { return new Deadline(0, Math.min(this.at, now() + seconds), this.started); }

  budget() {
    const left = this.remaining();
    if (left <= 0) throw new SocketTimeout('deadline reached');
    return left;
  }
}

function sleep(seconds) { return new Promise((resolve) => setTimeout(resolve, Math.max(0, seconds * 1000))); }

// A promise settled by `start(resolve, reject)` or rejected with `onTimeout()` after `seconds`.
function bounded(seconds, start, onTimeout) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), Math.max(0, seconds * 1000));
    start((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

// --- a RESP2 client that never outlives a deadline (probe/resp.py) ------------------------------
// getaddrinfo bounded by the deadline. A lookup inside Node runs on libuv's thread pool, which
// the process joins when it exits: a hanging resolver would hold the exit for 30 s. So the
// C library's getaddrinfo runs in `getent ahosts` (same order, same /etc/hosts and resolv.conf),
// killed at the deadline; dns.lookup only where there is no getent.
const GETENT = ['/usr/bin/getent', '/bin/getent', '/usr/sbin/getent'].find((path) => isFile(path));
const lookups = new Set(); // running getent processes, killed on exit

function resolve(host, port, deadline) {
  const family = net.isIP(host);
  if (family) return Promise.resolve([{ address: host, family }]);
  const late = () => new DnsError('the lookup did not finish before the deadline');
  if (!GETENT) {
    return bounded(Math.max(deadline.remaining(), 0), (ok, fail) => {
      dns.lookup(host, { all: true, verbatim: true }, (error, addresses) => {
        if (error) fail(new DnsError(GAI_STRERROR[error.code] || error.message));
        else ok(addresses);
      });
    }, late);
  }
  let child;
  return bounded(Math.max(deadline.remaining(), 0), (ok, fail) => {
    child = require('child_process').spawn(GETENT, ['ahosts', host], { stdio: ['ignore', 'pipe', 'ignore'] });
    lookups.add(child);
    let text = '';
    child.stdout.on('data', (chunk) => { text += chunk; });
    child.on('error', (error) => fail(new DnsError(error.message)));
    child.on('close', (code) => {
      lookups.delete(child);
      const addresses = [];
      for (const line of text.split('\n')) {
        const [address, type] = line.trim().split(/\s+/);
        if (type === 'STREAM' && net.isIP(address)) addresses.push({ address, family: net.isIP(address) });
      }
      if (code === 0 && addresses.length) ok(addresses);
      else fail(new DnsError(GAI_STRERROR.EAI_NONAME));
    });
  }, () => { child.kill('SIGKILL'); return late(); });
}

function encodeCommand(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const data = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const MARKERS = new Set([0x2b, 0x2d, 0x3a, 0x24, 0x2a]); // + - : $ *
const INCOMPLETE = Symbol('incomplete');

function parseInt10(data) {
  const text = data.toString('latin1').trim();
  if (!/^[+-]?\d(_?\d)*$/.test(text)) throw new ProtocolError(`not a RESP integer: ${reprBytes(data.subarray(0, 32))}`);
  const big = BigInt(text.replace(/_/g, ''));
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

// One socket to Redis that speaks RESP2 against deadlines. The socket is paused unless a reply
// is being read, so a peer cannot make us buffer what we did not ask for. `redact(bytes) -> bytes`
// is applied to every simple string and error line as it is read, and to the bytes a protocol
// error quotes, before anything decodes, collapses or shortens them, so a password the server
// echoes reaches no message in any form.
class Connection {
  constructor(sock, redact = (data) => data) {
    this.sock = sock;
    this.redact = redact;
    this.chunks = [];
    this.buffered = 0;
    this.failed = null; // the error or end that stopped the socket
    this.wake = null;
    sock.pause();
    sock.on('data', (chunk) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.wake) this.wake();
    });
    const stop = (error) => {
      if (!this.failed) this.failed = error;
      if (this.wake) this.wake();
    };
    sock.on('error', stop);
    sock.on('end', () => stop(new OsError('ECONNRESET', 'the server closed the connection')));
    sock.on('close', () => stop(new OsError('ECONNRESET', 'the server closed the connection')));
  }

  static async open(deadline, { host = '', port = 0, unixPath = '', tlsOptions = null, serverHostname = '', redact }) {
    let sock;
    if (unixPath) {
      sock = await connectSocket({ path: unixPath }, deadline);
    } else {
      sock = await connectTcp(host, port, deadline);
    }
    if (tlsOptions) sock = await handshake(sock, host, serverHostname, tlsOptions, deadline);
    return new Connection(sock, redact);
  }

  close() { this.sock.destroy(); }

  send(deadline, ...args) {
    deadline.budget();
    if (this.failed) throw this.failed;
    this.sock.write(encodeCommand(args));
  }

  // Send one command and return its reply; an error reply throws ReplyError.
  async call(deadline, ...args) { return this.callLimited(deadline, SMALL_REPLY_BYTES, ...args); }

  // `call` for a command whose reply may be up to `limit` bytes (a longer one is a ProtocolError,
  // read no further).
  async callLimited(deadline, limit, ...args) {
    this.send(deadline, ...args);
    return this.readReply(deadline, limit);
  }

  async readReply(deadline, limit = SMALL_REPLY_BYTES) {
    const reply = await this.readValue(deadline, limit);
    if (reply instanceof ReplyError) throw reply;
    return reply;
  }

  async readValue(deadline, limit) {
    let need = 1;
    for (;;) {
      if (this.buffered >= need) {
        const data = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
        this.chunks = [data];
        const parsed = new ReplyParser(data, limit, this.redact).value(0, 0);
        if (parsed.value !== INCOMPLETE) {
          const rest = data.subarray(parsed.end);
          this.chunks = rest.length ? [rest] : [];
          this.buffered = rest.length;
          return parsed.value;
        }
        need = Math.max(parsed.need, this.buffered + 1);
      }
      await this.fill(deadline);
    }
  }

  // Wait for more bytes, the end of the stream, or the deadline.
  fill(deadline) {
    const left = deadline.budget();
    if (this.failed) return Promise.reject(this.failed);
    return bounded(left, (ok, fail) => {
      this.wake = () => {
        this.wake = null;
        this.sock.pause();
        if (this.failed && this.buffered === 0) fail(this.failed);
        else ok();
      };
      this.sock.resume();
    }, () => {
      this.wake = null;
      this.sock.pause();
      return new SocketTimeout('timed out');
    });
  }
}

// One reply parsed from the start of the bytes read so far, within `limit` bytes in all (lines
// and bulk data): `value(start, depth)` gives {value, end} or {value: INCOMPLETE, need: bytes
// wanted in all}. A line is looked for only within the line limit (or what the reply may still
// take), so a peer cannot make us buffer or search without end.
class ReplyParser {
  constructor(data, limit, redact) {
    Object.assign(this, { data, limit, redact });
    this.left = limit; // what the reply may still take
  }

  tooLong() { return `more than the ${this.limit} bytes this probe reads of a reply to this command`; }

  // Bytes from the peer for a message: redacted first, then cut to 32 bytes.
  shown(data) { return reprBytes(this.redact(data.subarray(0, MAX_LINE_BYTES + 2)).subarray(0, 32)); }

  // The line at `start` without its CRLF, and where the next begins; null when it is not all here.
  line(start) {
    const limit = Math.min(MAX_LINE_BYTES, this.left);
    const window = this.data.subarray(start, start + Math.max(limit + 2, 0));
    const end = window.indexOf('\r\n');
    if (end >= 0) {
      this.left -= end + 2;
      return { line: window.subarray(0, end), next: start + end + 2 };
    }
    if (window.length >= limit + 2) {
      const why = limit === MAX_LINE_BYTES ? `no line end in ${limit} bytes` : this.tooLong();
      throw new ProtocolError(`${why}: ${this.shown(this.data.subarray(start))}`);
    }
    if (window.length && !MARKERS.has(window[0])) throw new ProtocolError(`not a RESP reply: ${this.shown(window)}`);
    return null;
  }

  // A bulk or array length: -1 (nil) up to `most` (what the reply may still take).
  length(text, most, what) {
    const length = parseInt10(text);
    if (length < -1) throw new ProtocolError(`a ${what(length)}`);
    if (length > most) throw new ProtocolError(`a ${what(length)}: ${this.tooLong()}`);
    return Number(length);
  }

  value(start, depth) {
    const { data } = this;
    const read = this.line(start);
    if (read === null) return { value: INCOMPLETE, need: data.length + 1 };
    const { line, next } = read;
    const marker = line[0];
    const rest = line.subarray(1);
    if (marker === 0x2b) return { value: this.redact(rest).toString('utf8'), end: next };
    if (marker === 0x2d) return { value: new ReplyError(this.redact(rest).toString('utf8')), end: next };
    if (marker === 0x3a) return { value: parseInt10(rest), end: next };
    if (marker === 0x24) {
      const size = this.length(rest, this.left - 2, (length) => `bulk string of ${length} bytes`);
      if (size === -1) return { value: null, end: next };
      if (data.length < next + size + 2) return { value: INCOMPLETE, need: next + size + 2 };
      if (data[next + size] !== 0x0d || data[next + size + 1] !== 0x0a) {
        throw new ProtocolError('bulk string not terminated by CRLF');
      }
      this.left -= size + 2;
      // data, not a message: shown only through Redactor.shown
      return { value: Buffer.from(data.subarray(next, next + size)), end: next + size + 2 };
    }
    if (marker === 0x2a) {
      if (depth >= MAX_NESTING) throw new ProtocolError(`arrays nested deeper than ${MAX_NESTING} levels`);
      // every item takes at least 3 bytes (":0" CRLF): a count the limit cannot hold is refused now
      const count = this.length(rest, Math.floor(this.left / 3), (length) => `array of ${length} items`);
      if (count === -1) return { value: null, end: next };
      const items = [];
      let position = next;
      for (let index = 0; index < count; index += 1) {
        const item = this.value(position, depth + 1);
        if (item.value === INCOMPLETE) return item;
        items.push(item.value);
        position = item.end;
      }
      return { value: items, end: position };
    }
    throw new ProtocolError(`not a RESP reply: ${this.shown(line)}`);
  }
}

function connectSocket(options, deadline) {
  const left = deadline.budget();
  let sock;
  return bounded(left, (ok, fail) => {
    sock = net.connect(options);
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      sock.on('error', () => {}); // until Connection listens: an early error must not crash the probe
      if (!options.path) sock.setNoDelay(true);
      ok(sock);
    });
    sock.once('error', (error) => { sock.destroy(); fail(osError(error)); });
  }, () => { sock.destroy(); return new SocketTimeout('timed out'); });
}

// Every address the host resolves to, in the resolver's order, until one connects.
async function connectTcp(host, port, deadline) {
  let lastError = null;
  for (const { address, family } of await resolve(host, port, deadline)) {
    try {
      return await connectSocket({ host: address, port, family }, deadline);
    } catch (error) {
      lastError = error;
      if (error instanceof SocketTimeout) break; // the deadline is spent; other addresses get no time
    }
  }
  throw lastError || new OsError('EADDRNOTAVAIL', 'no address to connect to');
}

// The TLS handshake, bounded; the certificate is verified here as Python's ssl module does.
function handshake(plain, host, serverHostname, options, deadline) {
  const left = deadline.budget();
  let sock;
  const name = serverHostname || host;
  return bounded(left, (ok, fail) => {
    sock = tlsLib().connect({
      socket: plain, host: name, servername: net.isIP(name) ? undefined : name, ...options.secure,
      rejectUnauthorized: false,
    });
    sock.once('secureConnect', () => {
      sock.removeAllListeners('error');
      sock.on('error', () => {});
      if (!options.insecure) {
        const problem = verifyProblem(sock, name);
        if (problem) {
          sock.destroy();
          fail(new TlsVerifyError(problem));
          return;
        }
      }
      ok(sock);
    });
    sock.once('error', (error) => {
      sock.destroy();
      if (typeof error.code === 'string' && error.code.startsWith('ERR_SSL_')) fail(error);
      else if (/before secure TLS connection/.test(error.message)) fail(new TlsEof('EOF in the handshake'));
      else fail(osError(error));
    });
  }, () => { sock.destroy(); return new TlsHandshakeTimeout('no answer to the TLS handshake'); });
}

// OpenSSL's verify texts, as Python's SSLCertVerificationError.verify_message shows them.
const VERIFY_MESSAGES = {
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  INVALID_CA: 'invalid CA certificate',
  INVALID_PURPOSE: 'unsupported certificate purpose',
  CERT_REVOKED: 'certificate revoked',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
};

function verifyProblem(sock, name) {
  if (!sock.authorized) {
    const code = String(sock.authorizationError || '');
    if (code !== 'ERR_TLS_CERT_ALTNAME_INVALID') return VERIFY_MESSAGES[code] || code.toLowerCase().replace(/_/g, ' ');
  }
  const mismatch = tlsLib().checkServerIdentity(name, sock.getPeerCertificate());
  if (!mismatch) return '';
  return net.isIP(name)
    ? `IP address mismatch, certificate is not valid for '${name}'.`
    : `Hostname mismatch, certificate is not valid for '${name}'.`;
}

// --- where to probe (probe/target.py) ----------------------------------------------------------
class Target {
  constructor(fields) {
    Object.assign(this, { host: 'localhost', port: REDIS_PORT, unixPath: '', username: '', password: '', db: 0, tls: null }, fields);
  }

  replace(changes) { return new Target({ ...this, ...changes }); }

  get address() {
    if (this.unixPath) return this.unixPath;
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  redactedUrl() {
    let userinfo = this.username ? quote(this.username) : '';
    if (this.password) userinfo += ':' + REDACTED;
    userinfo = userinfo ? userinfo + '@' : '';
    if (this.unixPath) return `unix://${userinfo}${this.unixPath}${this.db ? `?db=${this.db}` : ''}`;
    return `${this.tls ? 'rediss' : 'redis'}://${userinfo}${this.address}/${this.db}`;
  }
}

function parseNumber(text, what, low, high = null) {
  const expected = high !== null ? `a number from ${low} to ${high}` : `an integer >= ${low}`;
  const trimmed = String(text).trim();
  if (!/^[+-]?\d(_?\d)*$/.test(trimmed)) throw new UsageError(`bad ${what} ${reprStr(String(text))}: expected ${expected}`);
  const number = Number(trimmed.replace(/_/g, ''));
  if (number < low || (high !== null && number > high)) throw new UsageError(`bad ${what} ${number}: expected ${expected}`);
  return number;
}

function parsePort(text) { return parseNumber(text, 'port', 1, 65535); }

function parseDb(text) { return parseNumber(text, 'database number', 0); }

// `host` when it can name a host; else a UsageError showing `shown` (a redacted URL or the flag),
// since a lookup would fail the same way until the deadline.
function checkHost(host, shown) {
  if (!HOST_NAME.test(host)) throw new UsageError(`bad host ${reprStr(host)} in ${shown}: expected a host name or an IP address`);
  return host;
}

function redactUrlText(url) {
  const sep = url.indexOf('://');
  if (sep < 0) return url.includes('@') ? "'<unparsable URL>'" : reprStr(url);
  const scheme = url.slice(0, sep);
  const rest = url.slice(sep + 3);
  const at = rest.lastIndexOf('@');
  if (at < 0) return reprStr(url);
  const userinfo = rest.slice(0, at);
  const user = userinfo.split(':', 1)[0];
  return reprStr(userinfo.includes(':') ? `${scheme}://${user}:${REDACTED}@${rest.slice(at + 1)}` : url);
}

// urllib.parse.urlsplit, the parts Target needs.
function urlSplit(url) {
  url = url.replace(/^[\x00-\x20]+/, '').replace(/[\t\r\n]/g, '');
  let scheme = '';
  let rest = url;
  const colon = url.indexOf(':');
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase();
    rest = url.slice(colon + 1);
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, end + 2);
    rest = end < 0 ? '' : rest.slice(end + 2);
    if (netloc.includes('[') !== netloc.includes(']')) throw new Error('Invalid IPv6 URL');
  }
  const hashAt = rest.indexOf('#');
  if (hashAt >= 0) rest = rest.slice(0, hashAt);
  const queryAt = rest.indexOf('?');
  const path = queryAt >= 0 ? rest.slice(0, queryAt) : rest;
  const query = queryAt >= 0 ? rest.slice(queryAt + 1) : '';
  const at = netloc.lastIndexOf('@');
  const userinfo = at >= 0 ? netloc.slice(0, at) : null;
  const hostinfo = at >= 0 ? netloc.slice(at + 1) : netloc;
  let username = null;
  let password = null;
  if (userinfo !== null) {
    const split = userinfo.indexOf(':');
    username = split >= 0 ? userinfo.slice(0, split) : userinfo;
    password = split >= 0 ? userinfo.slice(split + 1) : null;
  }
  let hostname;
  let portText;
  const bracket = hostinfo.match(/^\[([^\]]*)\](?::(.*))?$/);
  if (bracket) {
    hostname = bracket[1];
    portText = bracket[2];
    if (!net.isIPv6(hostname.split('%')[0])) throw new Error(`'${hostname}' does not appear to be an IPv4 or IPv6 address`);
  } else {
    const split = hostinfo.lastIndexOf(':');
    hostname = split >= 0 ? hostinfo.slice(0, split) : hostinfo;
    portText = split >= 0 ? hostinfo.slice(split + 1) : undefined;
  }
  let port = null;
  if (portText) {
    if (!/^\d+$/.test(portText)) throw new Error(`Port could not be cast to integer value as ${reprStr(portText)}`);
    port = Number(portText);
    if (port > 65535) throw new Error('Port out of range 0-65535');
  }
  return { scheme, netloc, path, query, username, password, hostname: hostname.toLowerCase() || null, port };
}

function queryDb(query) {
  for (const pair of query.split(/[&;]/)) {
    const [name, ...value] = pair.split('=');
    if (unquote(name.replace(/\+/g, ' ')) === 'db' && value.length && value.join('=') !== '') {
      return unquote(value.join('=').replace(/\+/g, ' '));
    }
  }
  return null;
}

function parseUrl(url) {
  let parts;
  try {
    parts = urlSplit(url);
  } catch (error) {
    throw new UsageError(`bad URL ${redactUrlText(url)}: ${error.message}`);
  }
  const username = unquote(parts.username || '');
  const password = unquote(parts.password || '');
  const dbParam = queryDb(parts.query);
  if (parts.scheme === 'unix') {
    if (!parts.path) throw new UsageError(`bad URL ${redactUrlText(url)}: a unix:// URL needs a socket path`);
    return new Target({ unixPath: unquote(parts.path), username, password, db: dbParam !== null ? parseDb(dbParam) : 0 });
  }
  if (!Object.prototype.hasOwnProperty.call(TCP_SCHEMES, parts.scheme)) {
    throw new UsageError(`bad URL ${redactUrlText(url)}: the scheme must be redis://, rediss:// or unix:// (valkey://, valkeys:// too)`);
  }
  if (!parts.hostname) throw new UsageError(`bad URL ${redactUrlText(url)}: no host`);
  const path = parts.path.replace(/^\/+|\/+$/g, '');
  const db = path ? parseDb(path) : (dbParam !== null ? parseDb(dbParam) : 0);
  return new Target({
    host: checkHost(parts.hostname, redactUrlText(url)),
    // an explicit :0 is refused like --port 0 (urlSplit gives null only when no port is written)
    port: parts.port === null ? REDIS_PORT : parsePort(String(parts.port)),
    username, password, db,
    tls: TCP_SCHEMES[parts.scheme] ? { caCert: '', cert: '', key: '', insecure: false } : null,
  });
}

// The Target from the flags: URL (or $REDIS_URL, or the default), then flag overrides, then
// REDISCLI_AUTH when no password was given otherwise.
function buildTarget(args, environ) {
  let target = parseUrl(args.url || environ.REDIS_URL || DEFAULT_URL);
  const changes = {};
  if (args.host !== undefined || args.port !== undefined) {
    changes.unixPath = '';
    if (target.unixPath) Object.assign(changes, { host: 'localhost', port: REDIS_PORT });
  }
  if (args.host !== undefined) {
    if (!args.host) throw new UsageError('--host must not be empty');
    changes.host = checkHost(args.host.replace(/^[[\]]+|[[\]]+$/g, ''), '--host');
  }
  if (args.port !== undefined) changes.port = parsePort(args.port);
  if (args.username !== undefined) changes.username = args.username;
  if (args.password !== undefined) changes.password = args.password;
  else if (!target.password && environ.REDISCLI_AUTH) changes.password = environ.REDISCLI_AUTH;
  if (args.db !== undefined) changes.db = parseDb(args.db);
  const tlsFlags = args['tls-ca-cert'] || args['tls-cert'] || args['tls-key'] || args['tls-insecure'];
  if (args.tls || tlsFlags || target.tls) {
    changes.tls = {
      caCert: args['tls-ca-cert'] || '', cert: args['tls-cert'] || '', key: args['tls-key'] || '',
      insecure: Boolean(args['tls-insecure']),
    };
  }
  target = target.replace(changes);
  if (target.tls && target.unixPath) throw new UsageError('TLS (--tls, rediss://) does not apply to a unix:// socket');
  if (target.tls) {
    if (target.tls.key && !target.tls.cert) throw new UsageError('--tls-key needs --tls-cert');
    for (const [flag, path] of [['--tls-ca-cert', target.tls.caCert], ['--tls-cert', target.tls.cert], ['--tls-key', target.tls.key]]) {
      if (path && !isFile(path)) throw new UsageError(`${flag} ${path}: no such file`);
    }
  }
  return target;
}

function isFile(path) {
  try { return fs.statSync(path).isFile(); } catch (error) { return false; }
}

// Where OpenSSL (and so Python's ssl module) finds the system's CAs; Node has its own bundle.
const SYSTEM_CA_FILES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

// The TLS options (Python's ssl.SSLContext), or null; a certificate that cannot be loaded is a usage error.
function tlsOptions(target, environ) {
  if (!target.tls) return null;
  const options = target.tls;
  try {
    const secure = {};
    const caFile = options.caCert || environ.SSL_CERT_FILE || SYSTEM_CA_FILES.find(isFile);
    if (caFile) secure.ca = fs.readFileSync(caFile);
    if (options.cert) {
      secure.cert = fs.readFileSync(options.cert);
      secure.key = fs.readFileSync(options.key || options.cert);
    }
    tlsLib().createSecureContext(secure); // fails here, not in every attempt, on a bad file
    return { secure, insecure: options.insecure };
  } catch (error) {
    throw new UsageError(`cannot load the TLS certificates: ${error.message}`);
  }
}

// --- the checks (probe/checks.py) ----------------------------------------------------------------
// One attempt's connections: checks share the main one, open more with connect(), read INFO once.
class Session {
  constructor(target, tlsSettings, deadline, requirements, redactor) {
    // redactor: the wait's passwords, redacted from replies as they are read
    Object.assign(this, { target, tlsSettings, deadline, requirements, redactor });
    this.connections = [];
    this.mainConnection = null;
    this.infoFields = null;
  }

  async connect() {
    const { target } = this;
    const connection = await Connection.open(this.deadline, {
      host: target.host, port: target.port, unixPath: target.unixPath, tlsOptions: this.tlsSettings,
      serverHostname: target.host, redact: (data) => this.redactor.data(data),
    });
    this.connections.push(connection);
    if (target.password) {
      const credentials = target.username ? [target.username, target.password] : [target.password];
      await connection.call(this.deadline, 'AUTH', ...credentials);
    }
    if (target.db) {
      try {
        await connection.call(this.deadline, 'SELECT', target.db);
      } catch (error) { // out of range, or a cluster: waiting cannot cure it (probe/session.py)
        const text = error instanceof ReplyError ? error.text : '';
        if (!['ERR DB index', 'ERR invalid DB', 'ERR SELECT is not allowed'].some((start) => text.startsWith(start))) throw error;
        throw new ProbeFailure('bad-db', `SELECT ${target.db}: server replied: ${text.slice(0, 200)}`);
      }
    }
    return connection;
  }

  // A reply value for a message: redacted, quoted, short.
  shown(value) { return this.redactor.shown(value); }

  async main() {
    if (this.mainConnection === null) this.mainConnection = await this.connect();
    return this.mainConnection;
  }

  async info() {
    if (this.infoFields === null) {
      const text = await (await this.main()).callLimited(this.deadline, LARGE_REPLY_BYTES, 'INFO');
      this.infoFields = parseInfo(Buffer.isBuffer(text) ? text.toString('utf8') : '');
    }
    return this.infoFields;
  }

  async serverInfo() {
    const info = await this.info();
    const name = info.server_name === 'valkey' ? 'Valkey' : 'Redis';
    const version = info.valkey_version || info.redis_version || '';
    const mode = info.redis_mode || info.server_mode || 'standalone';
    const role = mode === 'sentinel' ? 'sentinel' : (info.role || '');
    return { name, version, mode, role };
  }

  close() { for (const connection of this.connections) connection.close(); }
}

function parseInfo(text) {
  const fields = {};
  for (const line of splitLines(text)) {
    const sep = line.indexOf(':');
    if (sep >= 0 && !line.startsWith('#')) fields[pyStrip(line.slice(0, sep))] = pyStrip(line.slice(sep + 1));
  }
  return fields;
}

const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

function pyStrip(text) { return text.replace(PY_STRIP, ''); }

// `7.2.4` -> [7, 2, 4]; null on anything else.
function parseVersion(text) {
  const parts = pyStrip(String(text)).split('.').map((part) => pyStrip(part));
  if (parts.length < 1 || parts.length > 3 || !parts.every((part) => /^[+-]?\d(_?\d)*$/.test(part))) return null;
  return parts.map((part) => Number(part.replace(/_/g, '')));
}

function compareVersions(left, right) {
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    if (index >= left.length) return -1;
    if (index >= right.length) return 1;
    if (left[index] !== right[index]) return left[index] < right[index] ? -1 : 1;
  }
  return 0;
}

function nonce() { return crypto.randomBytes(8).toString('hex'); }

function sameBytes(value, text) { return Buffer.isBuffer(value) && value.equals(Buffer.from(text)); }

async function checkPing(session) {
  const reply = await (await session.main()).call(session.deadline, 'PING');
  if (reply !== 'PONG') throw new ProbeFailure('protocol', `PING answered ${session.shown(reply)}, not PONG`);
}

async function checkPubsub(session) {
  const token = nonce();
  const channel = KEY_PREFIX + token;
  const subscriber = await session.connect();
  subscriber.send(session.deadline, 'SUBSCRIBE', channel);
  const confirmation = await subscriber.readReply(session.deadline);
  if (!(Array.isArray(confirmation) && confirmation.length && sameBytes(confirmation[0], 'subscribe'))) {
    throw new ProbeFailure('protocol', `SUBSCRIBE answered ${session.shown(confirmation)}`);
  }
  let receivers;
  try {
    receivers = await (await session.main()).call(session.deadline, 'PUBLISH', channel, token);
  } catch (error) {
    if (!(error instanceof ReplyError) || !error.text.includes('Sentinel')) throw error;
    throw new ProbeFailure('pubsub-undelivered', `${session.target.address} is a Sentinel, which relays no pub/sub: `
      + 'use --checks ping here, or probe the master', true);
  }
  if (receivers === 0) throw new ProbeFailure('pubsub-undelivered', 'PUBLISH reached no subscriber');
  let message;
  try {
    message = await subscriber.readReply(session.deadline.sooner(PUBSUB_DELIVERY_SECONDS));
  } catch (error) {
    if (!(error instanceof SocketTimeout)) throw error;
    throw new ProbeFailure('pubsub-undelivered', `the published message did not arrive within ${formatG(PUBSUB_DELIVERY_SECONDS)} s`);
  }
  const expected = Array.isArray(message) && message.length === 3 && sameBytes(message[0], 'message')
    && sameBytes(message[1], channel) && sameBytes(message[2], token);
  if (!expected) throw new ProbeFailure('pubsub-undelivered', `the subscriber got ${session.shown(message)} instead of the message`);
}

async function checkRw(session) {
  const token = nonce();
  const key = KEY_PREFIX + token;
  const main = await session.main();
  await main.call(session.deadline, 'SET', key, token, 'PX', RW_KEY_TTL_MS);
  const value = await main.call(session.deadline, 'GET', key);
  if (!sameBytes(value, token)) throw new ProbeFailure('error', `GET returned ${session.shown(value)} right after SET`);
  await main.call(session.deadline, 'DEL', key);
}

async function checkInfo(session) {
  const info = await session.info();
  if (info.loading === '1') {
    const percent = info.loading_loaded_perc !== undefined ? info.loading_loaded_perc : '?';
    throw new ProbeFailure('loading', `INFO says loading:1 (${percent}% loaded)`);
  }
}

async function checkMinVersion(session) {
  const required = session.requirements.minVersion;
  const server = await session.serverInfo();
  const actual = parseVersion(server.version);
  if (actual === null) throw new ProbeFailure('version', `INFO reports no usable version (${session.shown(server.version)})`);
  if (compareVersions(actual, required) < 0) {
    throw new ProbeFailure('version', `${server.name} ${server.version} is older than the required ${required.join('.')}`);
  }
}

async function checkModule(session) {
  let reply;
  try {
    reply = await (await session.main()).callLimited(session.deadline, LARGE_REPLY_BYTES, 'MODULE', 'LIST');
  } catch (error) {
    if (!(error instanceof ReplyError) || error.text.startsWith('NOPERM')) throw error;
    throw new ProbeFailure('module-missing', `MODULE LIST failed: ${error.text}`);
  }
  const loaded = new Set();
  for (const entry of Array.isArray(reply) ? reply : []) {
    let name = Buffer.alloc(0);
    if (Array.isArray(entry)) {
      for (let index = 0; index + 1 < entry.length; index += 2) {
        if (sameBytes(entry[index], 'name')) name = entry[index + 1];
      }
    }
    loaded.add(Buffer.isBuffer(name) ? name.toString('utf8').toLowerCase() : '');
  }
  const missing = session.requirements.modules.filter((name) => !loaded.has(name));
  if (missing.length) {
    const have = [...loaded].sort().join(', ') || 'none';
    throw new ProbeFailure('module-missing', `module ${missing.join(', ')} not loaded (loaded: ${have})`);
  }
}

const CHECKS = {
  ping: checkPing, pubsub: checkPubsub, rw: checkRw, info: checkInfo, 'min-version': checkMinVersion, module: checkModule,
};

// --- the poll loop (probe/poll.py) -------------------------------------------------------------
const NOT_RUN = { ok: false, ms: 0.0, error: 'not run: an earlier check failed' };

function pauseSeconds(waited) {
  const base = Math.min(MAX_PAUSE_SECONDS, Math.max(MIN_PAUSE_SECONDS, waited * LAG_SHARE));
  return base * (0.5 + Math.random() * 0.5);
}

function elapsedMs(since) { return Math.round((now() - since) * 1e6) / 1e3; }

async function runAttempt(target, tlsSettings, checkNames, requirements, deadline, redactor) {
  const session = new Session(target, tlsSettings, deadline, requirements, redactor);
  const results = {};
  for (const name of checkNames) results[name] = NOT_RUN;
  let failure = null;
  let server = null;
  try {
    for (const name of checkNames) {
      const started = now();
      try {
        await CHECKS[name](session);
      } catch (error) { // every error an attempt can meet is classified, never thrown
        failure = classify(error, target.address);
        results[name] = { ok: false, ms: elapsedMs(started), error: failure.message };
        break;
      }
      results[name] = { ok: true, ms: elapsedMs(started), error: null };
    }
    if (failure === null || DESCRIBABLE_KINDS.has(failure.kind)) {
      try { server = await session.serverInfo(); } catch (error) { server = null; } // a courtesy, not a check
    }
  } finally {
    session.close();
  }
  return { results, failure, server };
}

async function waitUntilReady(target, checkNames, requirements, deadline, onFailure, tlsSettings, redactor) {
  const { started } = deadline;
  let attempts = 0;
  let results = {};
  let failure = null;
  let server = null;
  for (;;) {
    attempts += 1;
    const attemptDeadline = deadline.sooner(ATTEMPT_SECONDS);
    const cutShort = attemptDeadline.at === deadline.at && deadline.remaining() < ATTEMPT_SECONDS;
    const attempt = await runAttempt(target, tlsSettings, checkNames, requirements, attemptDeadline, redactor);
    server = attempt.server || server;
    const next = attempt.failure;
    if (failure !== null && cutShort && next !== null && DEADLINE_KINDS.has(next.kind)
        && (next.kind === 'timeout' || deadline.expired())) {
      break; // the deadline, not the server, ended this attempt: the previous error says more
    }
    results = attempt.results;
    const kindChanged = next !== null && (failure === null || next.kind !== failure.kind);
    if (kindChanged && !next.final) onFailure(next); // a final failure is told by the result itself
    failure = next;
    if (failure === null || failure.final || deadline.expired()) break;
    await sleep(Math.max(0, Math.min(pauseSeconds(now() - started), deadline.remaining())));
    if (deadline.expired()) break;
  }
  return { ready: failure === null, elapsedMs: elapsedMs(started), attempts, server, checks: results, failure };
}

// --- what it prints (probe/report.py) ------------------------------------------------------------
function plural(count, noun) { return count === 1 ? `${count} ${noun}` : `${count} ${noun}s`; }

function escapeData(text) { return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'); }

// `text` for a Markdown table cell or line: on one line (Markdown also breaks at CR).
function escapeCell(text) { return unbroken(text.replace(/\n/g, ' ')).replace(/\|/g, '\\|'); }

// One printed line stays one line (probe/lines.py): a line break in a path, a host or a server's
// words, shown as repr shows it, cannot start a line of its own (a workflow command, in Actions).
const LINE_BREAKS = /[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/g;
const LINE_BREAK_SHOWN = { '\n': '\\n', '\r': '\\r' };

function unbroken(text) {
  return text.replace(LINE_BREAKS, (ch) => LINE_BREAK_SHOWN[ch]
    || (ch.charCodeAt(0) < 0x100 ? '\\x' + hex(ch.charCodeAt(0), 2) : '\\u' + hex(ch.charCodeAt(0), 4)));
}

// A workflow command (`::...`) holds its data escaped already and must keep every other character
// (an `::add-mask::` value is the password itself; the runner breaks lines at CR and LF only).
function printedLine(line) {
  return line.startsWith('::') ? line.replace(/\r/g, '%0D').replace(/\n/g, '%0A') : unbroken(line);
}

function writeOut(fd, line) { fs.writeSync(fd, printedLine(line) + '\n'); }

// One $GITHUB_OUTPUT entry in the multi-line syntax, `name<<DELIM`, the value, `DELIM`, with a
// random delimiter the value does not contain: a line break in the value (a URL's %0A decoded)
// cannot start an entry of its own.
function outputEntry(name, value) {
  for (;;) {
    const delimiter = 'redis_ci_' + crypto.randomBytes(12).toString('hex');
    if (!value.includes(delimiter)) return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
}

// The step summary cut at a line end to MAX_SUMMARY_BYTES, saying so.
function capSummary(markdown) {
  const data = Buffer.from(markdown, 'utf8');
  if (data.length <= MAX_SUMMARY_BYTES) return markdown;
  const head = data.subarray(0, MAX_SUMMARY_BYTES - 200).toString('utf8');
  const kept = head.includes('\n') ? head.slice(0, head.lastIndexOf('\n')) : '';
  return kept + `\n\n(summary cut at ${MAX_SUMMARY_BYTES / 1024} KiB; the JSON report has every row)\n\n`;
}

class Reporter {
  constructor(target, checkNames, format, environ, redactor) {
    this.target = target;
    // Every password to mask and scrub (the redactor's, which the RESP client shares).
    this.redactor = redactor;
    this.secrets = redactor.passwords;
    Object.assign(this, { checkNames, format, environ });
    this.inActions = environ.GITHUB_ACTIONS === 'true';
  }

  // `text` with every form of every password redacted, then cut to MAX_MESSAGE_CHARS (redacted
  // first: a cut could leave part of a password that no longer matches).
  scrub(text) { return cut(this.redactor.text(text), MAX_MESSAGE_CHARS); }

  begin(timeout) {
    if (!this.inActions) return;
    // The whole value and each line, raw and URL-encoded; the runner unescapes %25/%0D/%0A.
    for (const value of new Set(this.secrets.flatMap(maskLines))) writeOut(2, `::add-mask::${value}`);
    const title = `redis-ci wait: ${this.target.redactedUrl()} (${this.checkNames.join(', ')}; timeout ${formatG(timeout)} s)`;
    writeOut(2, `::group::${escapeData(title)}`);
  }

  progress(failure) {
    writeOut(2, this.scrub(`redis-ci wait: ${this.target.address}: ${failure.kind}: ${failure.message}`));
  }

  finish(outcome) {
    if (this.inActions) writeOut(2, '::endgroup::');
    if (this.format === 'json') writeOut(1, pyJson(this.asJson(outcome)));
    else if (outcome.ready) writeOut(1, this.readyLine(outcome));
    if (!outcome.ready) {
      if (this.format !== 'json') {
        writeOut(2, this.notReadyLine(outcome));
        writeOut(2, '  hint: ' + this.hint(outcome.failure));
      }
      if (this.inActions) {
        const message = `${this.notReadyLine(outcome)} (hint: ${this.hint(outcome.failure)})`;
        writeOut(2, `::error title=Redis not ready::${escapeData(message)}`);
      }
    }
    if (this.inActions) {
      this.writeOutputs(outcome);
      this.appendFile('GITHUB_STEP_SUMMARY', capSummary(this.summaryMarkdown(outcome)));
    }
  }

  hint(failure) { return failure.hint(this.target.address, this.inActions); }

  readyLine(outcome) {
    const { server } = outcome;
    const about = server ? ` (${server.name} ${server.version}, ${server.mode}, ${server.role})` : '';
    return this.scrub(`redis ready at ${this.target.address}${about} after ${(outcome.elapsedMs / 1000).toFixed(3)} s: ${this.checkNames.join(', ')}`);
  }

  notReadyLine(outcome) {
    const { failure } = outcome;
    const why = failure.final ? 'gave up at once' : 'not ready';
    return this.scrub(`redis ${why} at ${this.target.address} after ${(outcome.elapsedMs / 1000).toFixed(3)} s `
      + `(${plural(outcome.attempts, 'attempt')}): ${failure.kind}: ${failure.message}`);
  }

  asJson(outcome) {
    const { server, failure } = outcome;
    const checks = {};
    for (const [name, result] of Object.entries(outcome.checks)) {
      checks[name] = { ok: result.ok, ms: result.ms, error: result.error ? this.scrub(result.error) : null };
    }
    return {
      ready: outcome.ready,
      url: this.target.redactedUrl(),
      elapsed_ms: outcome.elapsedMs,
      attempts: outcome.attempts,
      server: server ? { version: this.scrub(server.version), mode: this.scrub(server.mode), role: this.scrub(server.role) } : null,
      checks,
      last_error: failure ? { kind: failure.kind, message: this.scrub(failure.message), hint: this.hint(failure) } : null,
    };
  }

  writeOutputs(outcome) {
    const values = {
      ready: outcome.ready ? 'true' : 'false',
      'redis-version': outcome.server ? outcome.server.version : '',
      'elapsed-ms': outcome.elapsedMs.toFixed(3),
      url: this.target.redactedUrl(),
    };
    this.appendFile('GITHUB_OUTPUT', OUTPUT_KEYS.map((key) => outputEntry(key, this.scrub(values[key]))).join(''));
  }

  summaryMarkdown(outcome) {
    const address = unbroken(this.target.address); // a socket path's line break cannot start a Markdown line
    const { server, failure } = outcome;
    const lines = [outcome.ready ? `### ✅ Redis ready at \`${address}\`` : `### ❌ Redis not ready at \`${address}\``];
    const about = server ? `${server.name} ${server.version} (${server.mode}, ${server.role}): ` : '';
    lines.push(`\n${about}${outcome.ready ? 'ready' : 'not ready'} after ${outcome.elapsedMs.toFixed(1)} ms, ${plural(outcome.attempts, 'attempt')}.`);
    if (failure) {
      lines.push(`\n**${failure.kind}**: ${escapeCell(this.scrub(failure.message))}  `);
      lines.push(`Hint: ${escapeCell(this.hint(failure))}`);
    }
    lines.push('\n| check | result | time |\n|---|---|---|');
    for (const [name, result] of Object.entries(outcome.checks)) {
      const verdict = result.ok ? 'ok' : escapeCell(this.scrub(result.error || 'failed'));
      lines.push(`| ${name} | ${verdict} | ${result.ms.toFixed(2)} ms |`);
    }
    return lines.join('\n') + '\n\n';
  }

  appendFile(variable, text) {
    const path = this.environ[variable];
    if (!path) return;
    try {
      fs.appendFileSync(path, text, 'utf8');
    } catch (error) {
      writeOut(2, '::warning::' + escapeData(`redis-ci wait: cannot write $${variable}: ${osError(error).strerror}`));
    }
  }
}

// --- the command line (probe/command.py; argparse's conventions) -------------------------------
const VALUE_FLAGS = new Set(['url', 'host', 'port', 'username', 'password', 'db', 'tls-ca-cert', 'tls-cert', 'tls-key',
  'timeout', 'checks', 'min-version', 'module', 'node', 'sentinel', 'master-name', 'replicas', 'sentinel-username',
  'sentinel-password', 'format']);
const SWITCHES = new Set(['tls', 'tls-insecure', 'cluster']);
const REPEATED = new Set(['module', 'node', 'sentinel']);
const USAGE = `usage: redis-ci wait [--url URL] [--host HOST] [--port PORT] [--username USERNAME] [--password PASSWORD]
                     [--db DB] [--tls] [--tls-ca-cert FILE] [--tls-cert FILE] [--tls-key FILE] [--tls-insecure]
                     [--timeout SECONDS] [--checks CHECKS] [--min-version X.Y] [--module NAME] [--format {text,json}]

The Node probe of redis-ci (for jobs without python3): the flags of \`redis-ci wait\`, one server
(cluster and sentinel waits need the Python probe). Exit 0 ready, 1 not ready, 2 bad usage.
`;

function parseArgs(argv) {
  const args = { timeout: String(WAIT_TIMEOUT_SECONDS), checks: WAIT_CHECKS.join(','), format: 'text', module: [], node: [], sentinel: [] };
  const rest = argv[0] === 'wait' ? argv.slice(1) : argv;
  for (let index = 0; index < rest.length; index += 1) {
    const word = rest[index];
    if (word === '-h' || word === '--help') return { help: true };
    const match = word.match(/^--([a-z-]+)(?:=([\s\S]*))?$/);
    const name = match ? match[1] : null;
    if (name && SWITCHES.has(name) && match[2] === undefined) {
      args[name] = true;
      continue;
    }
    if (!name || !VALUE_FLAGS.has(name)) throw new ArgumentError(`unrecognized arguments: ${word}`, 'redis-ci');
    let value = match[2];
    if (value === undefined) {
      const next = rest[index + 1];
      if (next === undefined || (next.startsWith('-') && !/^-\d+$|^-\d*\.\d+$/.test(next))) {
        throw new ArgumentError(`argument --${name}: expected one argument`);
      }
      value = next;
      index += 1;
    }
    if (REPEATED.has(name)) args[name].push(value);
    else args[name] = value;
  }
  if (!['text', 'json'].includes(args.format)) {
    throw new ArgumentError(`argument --format: invalid choice: ${reprStr(args.format)} (choose from 'text', 'json')`);
  }
  return args;
}

function parseTimeout(text) {
  const trimmed = pyStrip(text).toLowerCase().replace(/_/g, '');
  const valid = /^[+-]?((\d+\.?\d*|\.\d+)(e[+-]?\d+)?|inf|infinity|nan)$/.test(trimmed) && !/_(_|$)|^_|\._|_\./.test(pyStrip(text));
  if (!valid) throw new UsageError(`bad --timeout ${reprStr(text)}: expected seconds, such as 60 or 2.5`);
  const seconds = /inf/.test(trimmed) ? (trimmed.startsWith('-') ? -Infinity : Infinity) : Number(trimmed);
  if (!(seconds > 0 && Number.isFinite(seconds))) {
    throw new UsageError(`bad --timeout ${reprStr(text)}: expected a positive number of seconds`);
  }
  return seconds;
}

function parseChecks(args) {
  let names = args.checks.split(',').map((name) => pyStrip(name)).filter(Boolean);
  const unknown = names.filter((name) => !SELECTABLE.includes(name));
  if (unknown.length || !names.length) throw new UsageError(`bad --checks ${reprStr(args.checks)}: choose from ${SELECTABLE.join(', ')}`);
  names = [...new Set(names)];
  if (args['min-version']) names.push('min-version');
  if (args.module.length) names.push('module');
  return names;
}

function parseRequirements(args) {
  let minVersion = null;
  if (args['min-version']) {
    minVersion = parseVersion(args['min-version']);
    if (minVersion === null) throw new UsageError(`bad --min-version ${reprStr(args['min-version'])}: expected X.Y or X.Y.Z`);
  }
  const modules = args.module.map((name) => pyStrip(name).toLowerCase());
  if (modules.some((name) => !name)) throw new UsageError('--module needs a module name');
  return { minVersion, modules };
}

function refuseTopology(args) {
  const given = TOPOLOGY_FLAGS.filter((flag) => {
    const value = args[flag.slice(2)];
    return Array.isArray(value) ? value.length > 0 : value !== undefined;
  });
  if (given.length) {
    throw new UsageError(`${given[0]} needs the Python probe (python3 >= 3.9 in the job): the Node probe waits for one server only`);
  }
}

async function run(argv, environ) {
  const args = parseArgs(argv);
  if (args.help) {
    fs.writeSync(1, USAGE);
    return 0;
  }
  refuseTopology(args);
  const timeout = parseTimeout(args.timeout);
  const deadline = new Deadline(timeout); // from here on: TLS set-up and all output count against it
  const target = buildTarget(args, environ);
  const checkNames = parseChecks(args);
  const requirements = parseRequirements(args);
  const tlsSettings = tlsOptions(target, environ);
  const redactor = new Redactor([target.password]);
  const reporter = new Reporter(target, checkNames, args.format, environ, redactor);
  reporter.begin(timeout);
  const outcome = await waitUntilReady(target, checkNames, requirements, deadline, (failure) => reporter.progress(failure),
    tlsSettings, redactor);
  reporter.finish(outcome);
  return outcome.ready ? 0 : 1;
}

function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--print-kinds') { // for the tests that hold this table to the Python one
    writeOut(1, JSON.stringify(KINDS));
    process.exit(0);
  }
  const exit = (code) => {
    for (const child of lookups) child.kill('SIGKILL');
    process.exit(code);
  };
  const internalError = (error) => { // never a stack trace for users
    writeOut(2, `redis-ci wait: internal error: ${error && error.name}: ${error && error.message}`);
    exit(3);
  };
  process.on('uncaughtException', internalError);
  process.on('unhandledRejection', internalError);
  run(argv, process.env).then(exit, (error) => {
    if (error instanceof UsageError) {
      const line = error instanceof ArgumentError ? `${error.prog}: error: ${error.message} (see --help)`
        : `redis-ci wait: error: ${error.message}`;
      writeOut(2, line);
      exit(2);
      return;
    }
    internalError(error);
  });
}

main();
