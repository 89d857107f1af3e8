// Subject hierarchy, token validation (spec values cannot inject wildcards or extra tokens), event envelopes,
// agent permissions and error descriptions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationError } from '@nats-io/transport-node';
import {
  bucketName,
  domainToken,
  EVENT_ACTIONS,
  isEventAction,
  streamName,
  Subjects,
  SubjectTokenError,
  TELEMETRY_TOKEN,
  token,
} from '../../core/src/nats/subjects';
import { createEvent, decodeEvent, matches, validateEvent } from '../../core/src/nats/events';
import { agentPermissions } from '../../core/src/nats/permissions';
import { describeNatsError, isAuthError } from '../../core/src/nats/connection';

describe('NATS subjects', () => {
  const s = new Subjects('lab');

  it('builds the CIM hierarchy under the domain', () => {
    assert.equal(s.event('gpu-01', 'deployed'), 'lab.events.gpu-01.deployed');
    assert.equal(s.eventFilter(), undefined, 'the whole stream');
    assert.equal(s.eventFilter('gpu-01'), undefined, 'NATS 2.9: lab.events.gpu-01.* is no subset of a stream subject');
    assert.equal(s.eventFilter(undefined, 'deployed'), 'lab.events.*.deployed');
    assert.equal(s.eventFilter('gpu-01', 'deployed'), 'lab.events.gpu-01.deployed');
    assert.equal(s.eventFilter('gpu-01', 'not-an-action'), undefined);
    assert.equal(s.telemetry('gpu-01'), 'lab.events.gpu-01.telemetry');
    assert.equal(s.allTelemetry(), 'lab.events.*.telemetry');
    assert.equal(s.command('gpu-01', 'checkpoint.restore'), 'lab.commands.gpu-01.checkpoint.restore');
    assert.equal(s.hostCommands('gpu-01'), 'lab.commands.gpu-01.>');
    assert.equal(streamName('lab'), 'LAB_EVENTS');
    assert.equal(bucketName('lab', 'facter'), 'lab_facter');
  });

  it('turns a dotted domain into one token', () => {
    assert.equal(domainToken('Lab.Example.org'), 'lab_example_org');
    assert.equal(new Subjects('lab.example').event('h', 'a'), 'lab_example.events.h.a');
    assert.equal(streamName('lab.example'), 'LAB_EXAMPLE_EVENTS');
  });

  it('rejects wildcards, dots, spaces and empty tokens from spec values', () => {
    for (const bad of ['*', '>', 'gpu-01.>', 'a.b', 'has space', '', 'tab\t', 'x'.repeat(65), 'ünï']) {
      assert.throws(() => s.event(bad, 'deployed'), SubjectTokenError, JSON.stringify(bad));
      assert.throws(() => s.telemetry(bad), SubjectTokenError);
    }
    assert.throws(() => new Subjects('lab.*'), /wildcards/);
    assert.throws(() => new Subjects(''), /empty/);
    assert.throws(() => s.command('gpu-01', 'exo.start.>' as never), /expected one of/);
    assert.throws(() => token('host', 'gpu-01.>'), /wildcards/);
    assert.throws(() => token('host', 'a.b'), /dot/);
  });

  it('parses event and telemetry subjects back', () => {
    assert.deepEqual(s.parseEvent('lab.events.gpu-01.deployed'), { aggregate: 'gpu-01', action: 'deployed' });
    assert.equal(s.parseEvent('other.events.gpu-01.deployed'), undefined);
    assert.equal(s.parseEvent('lab.events.gpu-01'), undefined);
    assert.equal(s.parseTelemetry('lab.events.gpu-01.telemetry'), 'gpu-01');
    assert.equal(s.parseTelemetry('lab.events.gpu-01.telemetry.extra'), undefined);
    assert.equal(s.parseTelemetry('lab.events.gpu-01.deployed'), undefined);
    assert.equal(s.parseEvent('lab.events.gpu-01.telemetry'), undefined, 'telemetry is not an event');
  });

  it('stores one subject per known action, never telemetry', () => {
    const subjects = s.eventStreamSubjects();
    assert.equal(subjects.length, EVENT_ACTIONS.length);
    assert.ok(subjects.includes('lab.events.*.deployed'));
    assert.ok(subjects.includes('lab.events.*.deploy-started'));
    assert.ok(!EVENT_ACTIONS.includes(TELEMETRY_TOKEN as never), 'telemetry is never an event action');
    assert.ok(!subjects.some((x) => x.endsWith('.telemetry') || x.endsWith('>')), 'no catch-all, no telemetry');
    assert.ok(isEventAction('gpu-added'));
    assert.ok(!isEventAction('telemetry'));
    assert.ok(s.isEventStreamSubject('lab.events.*.some-newer-action'));
    for (const other of [
      'lab.events.>',
      'lab.events.*.telemetry',
      'lab.events.gpu-01.deployed',
      'other.events.*.deployed',
      'lab.events.*.a.b',
    ]) {
      assert.ok(!s.isEventStreamSubject(other), other);
    }
  });

  it("grants an agent its own host's subjects only", () => {
    const p = agentPermissions('lab', 'gpu-01');
    assert.deepEqual(
      p.publish.allow,
      ['lab.events.gpu-01.>', '$JS.API.STREAM.CREATE.LAB_EVENTS'],
      'its events and its telemetry (lab.events.gpu-01.telemetry), and creating the event stream when it is missing',
    );
    assert.deepEqual(p.subscribe.allow, ['lab.commands.gpu-01.>', '$SRV.>', '_INBOX_lab_gpu-01.>']);
    assert.equal(p.allow_responses, true);
    assert.throws(() => agentPermissions('lab', '>'), SubjectTokenError);
  });
});

describe('event envelopes', () => {
  it('creates valid events with chained correlation and causation', () => {
    const first = createEvent({ aggregate: 'cluster', action: 'flake-generated', data: { files: 3 }, source: 'extension' });
    assert.deepEqual(validateEvent(first), []);
    assert.equal(first.type, 'cluster.flake-generated');
    assert.equal(first.aggregateType, 'cluster');
    assert.equal(first.correlationId, first.id);
    const next = createEvent({
      aggregate: 'gpu-01',
      action: 'deployed',
      data: {},
      source: 'extension',
      correlationId: first.correlationId,
      causationId: first.id,
    });
    assert.equal(next.type, 'host.deployed');
    assert.equal(next.correlationId, first.id);
    assert.equal(next.causationId, first.id);
    assert.notEqual(next.id, first.id);
    assert.ok(!Number.isNaN(Date.parse(next.timestamp)));
  });

  it('reports what is wrong with a malformed event', () => {
    assert.deepEqual(validateEvent(null), ['event is not an object']);
    const problems = validateEvent({
      id: 'x',
      type: 'host.a',
      aggregateType: 'node',
      aggregate: 'a.b',
      action: 'a',
      timestamp: 'yesterday',
      correlationId: 'c',
      causationId: 'c',
      source: 's',
    });
    assert.ok(problems.includes('aggregateType must be "host" or "cluster"'));
    assert.ok(problems.includes('data is missing'));
    assert.ok(problems.includes('timestamp is not a date'));
    assert.ok(problems.some((p) => /invalid aggregate "a.b"/.test(p)));
    assert.throws(() => createEvent({ aggregate: 'gpu-01', action: 'deployed.>' as never, data: {}, source: 't' }), SubjectTokenError);
  });

  it('decodes stored events and skips foreign messages', () => {
    const e = createEvent({ aggregate: 'gpu-01', action: 'deployed', data: { ok: true }, source: 't' });
    assert.deepEqual(decodeEvent(new TextEncoder().encode(JSON.stringify(e)), 7), { ...e, seq: 7 });
    assert.equal(decodeEvent(new TextEncoder().encode('not json'), 1), undefined);
    assert.equal(decodeEvent(new TextEncoder().encode('{"id":1}'), 1), undefined);
  });

  it('filters by aggregate, action, correlation and time', () => {
    const e = {
      ...createEvent({ aggregate: 'gpu-01', action: 'deployed', data: {}, source: 't', correlationId: 'op-1' }),
      timestamp: '2026-01-01T12:00:00.000Z',
    };
    assert.ok(matches(e, {}));
    assert.ok(matches(e, { aggregate: 'gpu-01', action: 'deployed', correlationId: 'op-1' }));
    assert.ok(!matches(e, { aggregate: 'gpu-02' }));
    assert.ok(!matches(e, { action: 'failed' }));
    assert.ok(!matches(e, { correlationId: 'op-2' }));
    assert.ok(matches(e, { since: '2026-01-01T11:00:00Z', until: Date.parse('2026-01-01T13:00:00Z') }));
    assert.ok(!matches(e, { since: '2026-01-01T12:00:01Z' }));
    assert.ok(!matches(e, { until: '2026-01-01T11:59:59Z' }));
  });
});

describe('NATS error descriptions', () => {
  it('says what to do about refused credentials and unreachable servers', () => {
    const auth = new AuthorizationError('Authorization Violation');
    assert.ok(isAuthError(auth));
    assert.ok(isAuthError(new Error('wrapped', { cause: auth })));
    assert.match(
      describeNatsError(auth, 'nats://hub:4222'),
      /^NATS refused the credentials \(nats:\/\/hub:4222\): authorization violation$/,
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4222'), { code: 'ECONNREFUSED' });
    assert.equal(
      describeNatsError(refused, ['nats://a:1', 'nats://b:2']),
      'NATS server not reachable (nats://a:1, nats://b:2): connection refused',
    );
    assert.ok(!isAuthError(refused));
    assert.match(describeNatsError(new Error('getaddrinfo ENOTFOUND hub')), /does not resolve/);
  });
});
