/** The invitation page's HTML. Every value is escaped; pages carry no script. */

const escape = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escape(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1a1a1a; margin: 0; }
  main { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.1); }
  h1 { font-size: 1.35rem; margin-top: 0; }
  label { display: block; margin: 1rem 0 .3rem; font-weight: 600; }
  input[type=password] { width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; border: 1px solid #bbb; border-radius: 4px; }
  button { margin-top: 1.5rem; width: 100%; padding: .7rem; font-size: 1rem; background: #2b59c3; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
  .error { background: #fdecea; color: #8a1c12; padding: .7rem; border-radius: 4px; }
  .hint { color: #555; font-size: .9rem; }
</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

/** The form to choose a password; `problem` is shown above it when the last try was refused. */
export function passwordForm(username: string, expiresAt: Date, problem?: string): string {
  return layout(
    'Choose your password',
    `<h1>Choose your password</h1>
<p>You are setting up the account <strong>${escape(username)}</strong>.</p>
${problem ? `<p class="error" role="alert">${escape(problem)}</p>` : ''}
<form method="post">
  <label for="password">New password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="1024" required autofocus>
  <label for="confirm">Repeat it</label>
  <input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="8" maxlength="1024" required>
  <p class="hint">At least 8 characters, and not your username or email address.</p>
  <button type="submit">Set password</button>
</form>
<p class="hint">This link expires on ${escape(expiresAt.toUTCString())}.</p>`,
  );
}

const STATES = {
  expired: ['This invitation has expired', 'Ask whoever invited you to send a new invitation.'],
  used: ['This invitation has already been used', 'Your password is set. If you forgot it, ask whoever invited you for help.'],
  revoked: ['This invitation is no longer valid', 'It was withdrawn or replaced by a newer one. Use the link in the most recent mail, or ask for a new invitation.'],
  unknown: ['This invitation link is not valid', 'Check that you opened the whole link from the mail, or ask for a new invitation.'],
} as const;

export type PageState = keyof typeof STATES;

export function statePage(state: PageState): string {
  const [title, text] = STATES[state];
  return layout(title, `<h1>${escape(title)}</h1>\n<p>${escape(text)}</p>`);
}

export function donePage(username: string): string {
  return layout('Your password is set', `<h1>Your password is set</h1>\n<p>The account <strong>${escape(username)}</strong> is ready. You can close this page.</p>`);
}

export function errorPage(status: number): string {
  if (status === 429) return layout('Too many attempts', '<h1>Too many attempts</h1>\n<p>Too many links were tried from here. Please wait a few minutes, then open the link from your invitation again.</p>');
  const title = status === 413 ? 'That was too much to send' : status < 500 ? 'That request could not be read' : 'Something went wrong';
  return layout(title, `<h1>${escape(title)}</h1>\n<p>Please go back and try again.</p>`);
}
