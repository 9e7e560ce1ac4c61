/**
 * `mailsight users create|list|set-password|delete`: accounts made and managed from the server's
 * shell, the only way to make the first admin. A password comes from MAILSIGHT_PASSWORD, else is typed
 * at a terminal (not echoed), else is generated, strong, and printed once.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { loadConfig } from '../config.js';
import { ROLES, systemClock, type Role } from '../app/ports.js';
import { UserService } from '../app/users.js';
import { openStorage } from '../adapters/storage/index.js';
import { MailsightError } from '../core/errors.js';

const USERS_SUBCOMMANDS = ['create', 'list', 'set-password', 'delete'] as const;
type UsersSubcommand = (typeof USERS_SUBCOMMANDS)[number];

export const PASSWORD_ENV = 'MAILSIGHT_PASSWORD';
/** A generated password: 18 random bytes, 24 base64url characters (144 bits). */
const GENERATED_PASSWORD_BYTES = 18;

export interface UsersOptions {
  email?: string;
  role?: string;
  name?: string;
}

export async function usersCommand(positionals: string[], values: UsersOptions): Promise<number> {
  const [sub] = positionals;
  if (!USERS_SUBCOMMANDS.includes(sub as UsersSubcommand)) {
    console.error(`mailsight users: expected ${USERS_SUBCOMMANDS.map((s) => `'${s}'`).join(', ')}, got '${sub ?? ''}'`);
    return 2;
  }
  const role = values.role;
  if (sub === 'create' && (role === undefined || !(ROLES as readonly string[]).includes(role))) {
    console.error(`mailsight users create: --role must be one of ${ROLES.join(', ')}, got '${role ?? ''}'`);
    return 2;
  }
  if (sub !== 'list' && !values.email) {
    console.error(`mailsight users ${sub}: --email is required`);
    return 2;
  }
  const config = loadConfig();
  const storage = await openStorage(config.database, systemClock);
  const users = new UserService(storage.users, systemClock);
  try {
    switch (sub as UsersSubcommand) {
      case 'create': {
        const { password, generated } = await readPassword(`password for ${values.email}: `);
        const user = await users.createUser({ email: values.email!, name: values.name, role: role as Role, password });
        console.log(`created user ${user.id} ${user.email} (${user.role})`);
        if (generated) console.log(`password (shown once, keep it): ${password}`);
        return 0;
      }
      case 'list':
        for (const user of await users.listUsers()) console.log([user.id, user.email, user.role, user.name, new Date(user.createdAt).toISOString()].join('\t'));
        return 0;
      case 'set-password': {
        const user = await requireUser(users, values.email!);
        const { password, generated } = await readPassword(`new password for ${user.email}: `);
        await users.updateUser(user.id, { password });
        console.log(`password of ${user.email} changed; its sessions are signed out`);
        if (generated) console.log(`password (shown once, keep it): ${password}`);
        return 0;
      }
      case 'delete': {
        const user = await requireUser(users, values.email!);
        await users.deleteUser(user.id);
        console.log(`deleted user ${user.id} ${user.email}; its sessions are signed out`);
        return 0;
      }
    }
  } finally {
    await storage.close();
  }
}

async function requireUser(users: UserService, email: string) {
  const user = await users.findByEmail(email);
  if (!user) throw new MailsightError('NOT_FOUND', `email: no user has address ${email.trim().toLowerCase()} (see \`mailsight users list\`)`);
  return user;
}

/** The password from MAILSIGHT_PASSWORD, typed at a terminal, or generated when neither. */
async function readPassword(prompt: string): Promise<{ password: string; generated: boolean }> {
  const fromEnv = process.env[PASSWORD_ENV];
  if (fromEnv) return { password: fromEnv, generated: false };
  if (process.stdin.isTTY) return { password: await promptHidden(prompt), generated: false };
  return { password: randomBytes(GENERATED_PASSWORD_BYTES).toString('base64url'), generated: true };
}

/** Reads a line at the terminal without echoing it. */
async function promptHidden(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  // The typed characters go nowhere: the terminal shows the prompt alone.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
