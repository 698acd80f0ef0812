/**
 * The attribute registry: every attribute muster's SCIM dialect supports, with
 * its RFC 7643 §2.2 characteristics. One table drives discovery (/Schemas,
 * /ResourceTypes), validation of what clients send, projection
 * (`attributes`/`excludedAttributes`), filter compilation and PATCH paths, so
 * what is advertised is what is enforced. Attribute names match
 * case-insensitively (RFC 7643 §2.1); resources are rendered with the names
 * given here.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';

export interface AttributeDef {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: 'none' | 'server' | 'global';
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttributeDef[];
}

type Options = Partial<Omit<AttributeDef, 'name' | 'type' | 'description'>>;

function attr(name: string, type: AttributeType, description: string, options: Options = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...(type === 'reference' && { referenceTypes: ['external'] }),
    ...options,
  };
}
const str = (name: string, description: string, options?: Options) => attr(name, 'string', description, options);
const complex = (name: string, description: string, subAttributes: readonly AttributeDef[], options?: Options) => attr(name, 'complex', description, { ...options, subAttributes });

/** The sub-attributes of a multi-valued attribute such as emails (RFC 7643 §2.4). */
function plural(kind: string, types: readonly string[]): AttributeDef[] {
  return [
    str('value', `The ${kind}.`),
    str('display', `A human-readable name for the ${kind}.`),
    str('type', `A label for the ${kind}.`, { canonicalValues: types }),
    attr('primary', 'boolean', `Whether this is the primary ${kind}; at most one is.`),
  ];
}

export const USER_ATTRIBUTES: readonly AttributeDef[] = [
  str('userName', 'Unique identifier for the user, compared case-insensitively (NFKC, lower case) within the directory.', { required: true, uniqueness: 'server' }),
  complex('name', 'The components of the user\'s name.', [
    str('formatted', 'The full name, formatted for display.'),
    str('familyName', 'The family name.'),
    str('givenName', 'The given name.'),
    str('middleName', 'The middle name(s).'),
    str('honorificPrefix', 'Honorific prefix(es), e.g. "Ms.".'),
    str('honorificSuffix', 'Honorific suffix(es), e.g. "III".'),
  ]),
  str('displayName', 'The name of the user, suitable for display.'),
  str('nickName', 'The casual way to address the user.'),
  attr('profileUrl', 'reference', 'A URL of the user\'s online profile.'),
  str('title', 'The user\'s title, e.g. "Vice President".'),
  str('userType', 'The relationship between the organisation and the user, e.g. "Employee".'),
  str('preferredLanguage', 'The user\'s preferred language (RFC 7231 Accept-Language form).'),
  str('locale', 'The user\'s default location, for localisation (e.g. "en-US").'),
  str('timezone', 'The user\'s time zone, in IANA form (e.g. "Europe/Paris").'),
  attr('active', 'boolean', 'Whether the user may sign in; false disables the user, who stays readable and filterable.'),
  str('password', 'The user\'s password; write-only, hashed with argon2id, never returned.', { mutability: 'writeOnly', returned: 'never', caseExact: true }),
  attr('emails', 'complex', 'Email addresses; the primary one (else the first) is the user\'s email in muster, unique in the directory.', {
    multiValued: true,
    subAttributes: plural('email address', ['work', 'home', 'other']),
  }),
  attr('phoneNumbers', 'complex', 'Phone numbers; the primary one (else the first) is the user\'s phone in muster.', {
    multiValued: true,
    subAttributes: plural('phone number', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
  }),
  attr('addresses', 'complex', 'Physical mailing addresses.', {
    multiValued: true,
    subAttributes: [
      str('formatted', 'The full address, formatted for display.'),
      str('streetAddress', 'The street address.'),
      str('locality', 'The city or locality.'),
      str('region', 'The state or region.'),
      str('postalCode', 'The postal code.'),
      str('country', 'The country, as an ISO 3166-1 alpha-2 code.'),
      str('type', 'A label for the address.', { canonicalValues: ['work', 'home', 'other'] }),
      attr('primary', 'boolean', 'Whether this is the primary address.'),
    ],
  }),
  attr('groups', 'complex', 'The groups the user belongs to; change them through the Group resource.', {
    multiValued: true,
    mutability: 'readOnly',
    subAttributes: [
      str('value', 'The id of the group.', { mutability: 'readOnly', caseExact: true }),
      attr('$ref', 'reference', 'The URI of the group.', { mutability: 'readOnly', referenceTypes: ['Group'] }),
      str('display', 'The group\'s displayName.', { mutability: 'readOnly' }),
      str('type', 'How the user is a member: always "direct" (groups do not nest).', { mutability: 'readOnly', canonicalValues: ['direct'] }),
    ],
  }),
];

export const ENTERPRISE_ATTRIBUTES: readonly AttributeDef[] = [
  str('employeeNumber', 'The user\'s number in the organisation.'),
  str('costCenter', 'The user\'s cost center.'),
  str('organization', 'The user\'s organisation.'),
  str('division', 'The user\'s division.'),
  str('department', 'The user\'s department.'),
  complex('manager', 'The user\'s manager.', [
    str('value', 'The id of the manager\'s User resource.', { caseExact: true }),
    attr('$ref', 'reference', 'The URI of the manager\'s User resource.', { referenceTypes: ['User'] }),
    str('displayName', 'The manager\'s displayName.', { mutability: 'readOnly' }),
  ]),
];

export const GROUP_ATTRIBUTES: readonly AttributeDef[] = [
  str('displayName', 'The group\'s name, unique in the directory (compared exactly).', { required: true, uniqueness: 'server', caseExact: true }),
  attr('members', 'complex', 'The group\'s members: users of the same directory.', {
    multiValued: true,
    subAttributes: [
      str('value', 'The id of the member User.', { mutability: 'immutable', caseExact: true }),
      attr('$ref', 'reference', 'The URI of the member.', { mutability: 'immutable', referenceTypes: ['User'] }),
      str('display', 'The member\'s userName.', { mutability: 'readOnly' }),
      str('type', 'The kind of member: always "User".', { mutability: 'immutable', canonicalValues: ['User'] }),
    ],
  }),
];

/** Attributes every resource has (RFC 7643 §3.1); not part of any schema's list in /Schemas. */
export const COMMON_ATTRIBUTES: readonly AttributeDef[] = [
  str('id', 'The resource\'s identifier, assigned by muster (a UUID).', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  str('externalId', 'The identifier the provisioning client uses for the resource.', { caseExact: true }),
  complex(
    'meta',
    'Resource metadata.',
    [
      str('resourceType', 'The resource type.', { mutability: 'readOnly', caseExact: true }),
      attr('created', 'dateTime', 'When the resource was created.', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'When the resource last changed.', { mutability: 'readOnly' }),
      attr('location', 'reference', 'The URI of the resource.', { mutability: 'readOnly', referenceTypes: ['uri'] }),
      str('version', 'The weak ETag of the resource\'s version.', { mutability: 'readOnly', caseExact: true }),
    ],
    { mutability: 'readOnly' },
  ),
];

export interface SchemaDef {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDef[];
}

export const SCHEMAS: readonly SchemaDef[] = [
  { id: USER_SCHEMA, name: 'User', description: 'User Account', attributes: USER_ATTRIBUTES },
  { id: ENTERPRISE_SCHEMA, name: 'EnterpriseUser', description: 'Enterprise User', attributes: ENTERPRISE_ATTRIBUTES },
  { id: GROUP_SCHEMA, name: 'Group', description: 'Group', attributes: GROUP_ATTRIBUTES },
];

export interface ResourceTypeDef {
  readonly name: 'User' | 'Group';
  readonly endpoint: string;
  readonly schema: string;
  readonly extensions: readonly string[];
}

export const RESOURCE_TYPES: readonly ResourceTypeDef[] = [
  { name: 'User', endpoint: '/Users', schema: USER_SCHEMA, extensions: [ENTERPRISE_SCHEMA] },
  { name: 'Group', endpoint: '/Groups', schema: GROUP_SCHEMA, extensions: [] },
];

/** An attribute resolved from a path: where it lives and its definition. */
export interface ResolvedPath {
  /** The schema URN the attribute belongs to (an extension's attributes live under its URN in the resource). */
  readonly schema: string;
  readonly attribute: AttributeDef;
  readonly sub: AttributeDef | undefined;
}

/** Per attribute list (the registry's lists never change), its attributes by lower-cased name. */
const byLowerName = new WeakMap<readonly AttributeDef[], ReadonlyMap<string, AttributeDef>>();

/** The attribute of `list` named `name`, case-insensitively (RFC 7643 §2.1); undefined when it has none. */
export function attributeNamed(list: readonly AttributeDef[] | undefined, name: string): AttributeDef | undefined {
  if (list === undefined) return undefined;
  let index = byLowerName.get(list);
  if (index === undefined) byLowerName.set(list, (index = new Map(list.map((a) => [a.name.toLowerCase(), a]))));
  return index.get(name.toLowerCase());
}

/** Per resource type, per schema URN, the attribute list schemaAttributes returns (built once, so its name index is too). */
const attributesOf = new Map<ResourceTypeDef, Map<string, readonly AttributeDef[]>>();

/** The attributes of `schema` in a resource of `type`: its core schema's with the common ones (id, externalId, meta) first; an extension's alone. */
export function schemaAttributes(type: ResourceTypeDef, schema: string): readonly AttributeDef[] {
  let bySchema = attributesOf.get(type);
  if (bySchema === undefined) attributesOf.set(type, (bySchema = new Map()));
  let list = bySchema.get(schema);
  if (list === undefined) {
    const defs = SCHEMAS.find((s) => s.id === schema)!.attributes;
    bySchema.set(schema, (list = schema === type.schema ? [...COMMON_ATTRIBUTES, ...defs] : defs));
  }
  return list;
}

/**
 * Resolves `name`, `name.sub`, `urn:...:name[.sub]` (case-insensitive) for a
 * resource type; undefined when no such attribute is supported.
 */
export function resolvePath(type: ResourceTypeDef, path: string): ResolvedPath | undefined {
  let schemaId = type.schema;
  let rest = path;
  for (const urn of [type.schema, ...type.extensions]) {
    if (path.toLowerCase().startsWith(`${urn.toLowerCase()}:`)) {
      schemaId = urn;
      rest = path.slice(urn.length + 1);
    }
  }
  const [name = '', subName, ...more] = rest.split('.');
  if (more.length > 0) return undefined;
  const attribute = attributeNamed(schemaAttributes(type, schemaId), name);
  if (!attribute) return undefined;
  if (subName === undefined) return { schema: schemaId, attribute, sub: undefined };
  const sub = attributeNamed(attribute.subAttributes, subName);
  return sub ? { schema: schemaId, attribute, sub } : undefined;
}

export const resourceType = (name: 'User' | 'Group'): ResourceTypeDef => RESOURCE_TYPES.find((t) => t.name === name)!;
