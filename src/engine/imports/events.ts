/** The import job's events: subject `import`, in the job's directory; `data` never holds an option value of the format (a signer key). */
import type { DomainEvent, EventType } from '../../domain/events.ts';
import type { ImportJob } from '../../domain/importJob.ts';

export function importEvent(type: EventType, job: ImportJob, data: Record<string, unknown>): DomainEvent {
  return { type, subject: { type: 'import', id: job.id }, directoryId: job.directoryId, data: { directory: job.directoryName, status: job.status, ...data } };
}
