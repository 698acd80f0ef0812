/**
 * Mail templates: `invitation.subject.txt`, `invitation.txt`, `invitation.html`,
 * built in under src/mail/templates and overridable one by one from
 * MAIL_TEMPLATES_DIR. The syntax is minimal: `{{name}}` inserts a value (HTML-
 * escaped in .html templates), `{{#name}}...{{/name}}` keeps its content only
 * when the value is not empty. Variables: name, username, message, link, expiresAt.
 * Templates are read once at start; a missing or unreadable override stops the start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const BUILT_IN = new URL('./templates/', import.meta.url).pathname;
const FILES = { subject: 'invitation.subject.txt', text: 'invitation.txt', html: 'invitation.html' } as const;

export interface InvitationVariables {
  readonly name: string;
  readonly username: string;
  readonly message: string;
  readonly link: string;
  readonly expiresAt: string;
}

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderTemplate(template: string, variables: Readonly<Record<string, string>>, html: boolean): string {
  const sections = template.replace(/\{\{#(\w+)\}\}([\s\S]*?)\{\{\/\1\}\}/g, (_, name: string, body: string) => (variables[name] ? body : ''));
  return sections.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = variables[name] ?? '';
    return html ? escapeHtml(value) : value;
  });
}

export interface InvitationTemplates {
  render(variables: InvitationVariables): RenderedMail;
}

export function loadInvitationTemplates(overrideDir: string | undefined): InvitationTemplates {
  const read = (file: string) => {
    const override = overrideDir ? join(overrideDir, file) : undefined;
    return readFileSync(override && existsSync(override) ? override : join(BUILT_IN, file), 'utf8');
  };
  const subject = read(FILES.subject).trim();
  const text = read(FILES.text);
  const html = read(FILES.html);
  return {
    render: (variables) => {
      const values = { ...variables };
      return {
        subject: renderTemplate(subject, values, false).replace(/[\r\n]+/g, ' '),
        text: renderTemplate(text, values, false),
        html: renderTemplate(html, values, true),
      };
    },
  };
}
