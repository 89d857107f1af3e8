// polkit's JavaScript rules evaluated in Node, with the API polkit(8) documents (AUTHORIZATION RULES) and nothing more:
//   - a rules file calls `polkit.addRule(function (action, subject) { … })`; the rules are tried in the order they were
//     added, and the first that returns something other than null/undefined (polkit.Result.NOT_HANDLED) decides;
//   - `polkit.Result` has NO, YES, AUTH_SELF, AUTH_SELF_KEEP, AUTH_ADMIN, AUTH_ADMIN_KEEP, NOT_HANDLED;
//   - the Action object has `id` and `lookup(key)`, the value of a detail the mechanism passed, undefined when it passed
//     none (systemd passes `unit` and `verb` for org.freedesktop.systemd1.manage-units: systemd commit 88ced61);
//   - the Subject object has `pid`, `user` (the user name), `groups`, `seat`, `session`, `local`, `active` and
//     `isInGroup(name)`, `isInNetGroup(name)`;
//   - `polkit.log(message)` writes to polkitd's log; `polkit.spawn` runs a program (not offered here: a rule that needs
//     it fails, as a rule that throws does in polkitd, which then goes on as if it had not decided).
// When no rule decides, polkitd falls back to the action's implicit authorization; for systemd's manage-units that is
// auth_admin_keep (org.freedesktop.systemd1.policy), which a caller without an agent (systemctl --no-ask-password)
// cannot pass.
import vm from 'node:vm';

export type PolkitResult = 'no' | 'yes' | 'auth_self' | 'auth_self_keep' | 'auth_admin' | 'auth_admin_keep';

export interface PolkitQuery {
  action: string;
  details: Record<string, string>;
  user: string;
  groups?: string[];
  pid?: number;
}

/** The rules in `source`, as a function from a query to what the first deciding rule returned (undefined: none decided). */
export function polkitRules(source: string): (query: PolkitQuery) => PolkitResult | undefined {
  const rules: ((action: unknown, subject: unknown) => unknown)[] = [];
  const Result = {
    NO: 'no',
    YES: 'yes',
    AUTH_SELF: 'auth_self',
    AUTH_SELF_KEEP: 'auth_self_keep',
    AUTH_ADMIN: 'auth_admin',
    AUTH_ADMIN_KEEP: 'auth_admin_keep',
    NOT_HANDLED: null,
  };
  const polkit = {
    Result,
    addRule: (rule: (action: unknown, subject: unknown) => unknown) => {
      if (typeof rule !== 'function') throw new TypeError('addRule takes a function');
      rules.push(rule);
    },
    log: () => undefined,
    spawn: () => {
      throw new Error('polkit.spawn is not available in this stand-in');
    },
  };
  vm.runInNewContext(source, { polkit }, { timeout: 1000 });
  return (query) => {
    const action = { id: query.action, lookup: (key: string) => query.details[key] };
    const groups = query.groups ?? [];
    const subject = {
      pid: query.pid ?? 1,
      user: query.user,
      groups,
      seat: '',
      session: '',
      local: false,
      active: false,
      isInGroup: (name: string) => groups.includes(name),
      isInNetGroup: () => false,
    };
    for (const rule of rules) {
      let result: unknown;
      try {
        result = rule(action, subject);
      } catch {
        continue;
      }
      if (result !== null && result !== undefined) return result as PolkitResult;
    }
    return undefined;
  };
}
