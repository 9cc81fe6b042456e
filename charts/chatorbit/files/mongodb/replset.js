// One reconciliation pass of the MongoDB replica set, run by mongosh in every member's "replset"
// container (replset.sh). Idempotent; every step is decided from what the members say now:
//  - a member whose mongod has no replica set config waits to be added, except the first member
//    of MEMBERS, which initiates the set with itself, unless another member is in a set already
//    (then this one lost its data and is added back by the primary instead);
//  - the primary adds one reachable missing member per pass (one voting change per reconfig, as
//    MongoDB requires), removes members no longer in MEMBERS (scale-in), and makes sure the
//    services' account exists with the password from the Secret.
// Environment: SELF_HOST, MEMBERS (host:port, space-separated, first one first), REPLICA_SET,
// MONGO_ROOT_PASSWORD, APP_USERNAME, APP_PASSWORD, APP_DATABASE.
/* global Mongo, print, quit */
const env = process.env;
const self = `${env.SELF_HOST}:27017`;
const members = env.MEMBERS.split(' ').filter(Boolean);
const timeouts = 'serverSelectionTimeoutMS=3000&connectTimeoutMS=3000';

function connect(host, user, password) {
  const credentials = user ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}@` : '';
  return new Mongo(`mongodb://${credentials}${host}/?directConnection=true&authSource=admin&${timeouts}`);
}

/** The member's `hello` reply (no authentication needed), or undefined when it does not answer. */
function hello(host) {
  try {
    return connect(host).getDB('admin').runCommand({ hello: 1 });
  } catch {
    return undefined;
  }
}

function check(reply, what) {
  if (reply.ok !== 1) throw new Error(`${what} failed: ${reply.errmsg ?? JSON.stringify(reply)}`);
  return reply;
}

const local = hello('localhost:27017');
if (!local) {
  print('replset: mongod does not answer yet');
  quit(0);
}

if (!local.setName) {
  if (self !== members[0]) {
    print(`replset: not in the replica set yet; the primary adds ${self} when it is reachable`);
    quit(0);
  }
  const inSet = members.slice(1).find((host) => hello(host)?.setName);
  if (inSet) {
    print(`replset: ${inSet} is in a replica set already; waiting to be added instead of initiating another`);
    quit(0);
  }
  const admin = connect('localhost:27017', 'root', env.MONGO_ROOT_PASSWORD).getDB('admin');
  check(admin.runCommand({ replSetInitiate: { _id: env.REPLICA_SET, members: [{ _id: 0, host: self }] } }), 'replSetInitiate');
  print(`replset: initiated ${env.REPLICA_SET} with ${self}`);
  quit(0);
}

if (!local.isWritablePrimary) quit(0);

const admin = connect('localhost:27017', 'root', env.MONGO_ROOT_PASSWORD).getDB('admin');

// The services' account: created once; its password follows the Secret.
const roles = [{ role: 'readWrite', db: env.APP_DATABASE }];
if (!admin.getUser(env.APP_USERNAME)) {
  admin.createUser({ user: env.APP_USERNAME, pwd: env.APP_PASSWORD, roles });
  print(`replset: created the user ${env.APP_USERNAME}`);
} else {
  let valid;
  try {
    valid = connect('localhost:27017', env.APP_USERNAME, env.APP_PASSWORD).getDB('admin').runCommand({ ping: 1 }).ok === 1;
  } catch {
    valid = false;
  }
  if (!valid) {
    admin.updateUser(env.APP_USERNAME, { pwd: env.APP_PASSWORD, roles });
    print(`replset: updated the password of ${env.APP_USERNAME}`);
  }
}

const config = check(admin.runCommand({ replSetGetConfig: 1 }), 'replSetGetConfig').config;
const extra = config.members.find((m) => !members.includes(m.host));
const missing = extra ? undefined : members.find((host) => !config.members.some((m) => m.host === host) && hello(host));
if (extra) {
  config.members = config.members.filter((m) => m !== extra);
} else if (missing) {
  config.members.push({ _id: Math.max(...config.members.map((m) => m._id)) + 1, host: missing });
} else {
  quit(0);
}
config.version += 1;
check(admin.runCommand({ replSetReconfig: config }), 'replSetReconfig');
print(extra ? `replset: removed ${extra.host}` : `replset: added ${missing}`);
