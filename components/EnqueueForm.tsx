'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useId, useState, type FormEvent } from 'react';
import { ErrorNotice } from './ErrorNotice';
import { InlineCode } from './InlineCode';
import { formatDuration } from './format';
import { describeProperties, exampleFromSchema, jsonErrorMessage } from './jsonSchemaExample';
import { LoginForm } from './LoginForm';
import { useTRPC } from './trpc/react';
import type { EnqueueRequest, TaskInfo } from './trpc/types';
import { useAuth } from './useAuth';

interface Issue {
  path: string;
  message: string;
}

/** Enqueue any catalog task: its input as JSON, checked here for syntax and by the server's schema. */
export function EnqueueForm({ initialTaskId }: { initialTaskId: string | null }) {
  const trpc = useTRPC();
  const auth = useAuth();
  const tasks = useQuery(trpc.tasks.list.queryOptions());

  if (tasks.error) return <ErrorNotice title="Could not load the tasks" error={tasks.error} />;
  if (!tasks.data || !auth.loaded) {
    return (
      <p className="loading" role="status">
        Loading tasks…
      </p>
    );
  }
  if (!auth.canAct) {
    return (
      <div className="narrow">
        <p>This server has an admin token: enqueueing needs it.</p>
        <LoginForm />
      </div>
    );
  }
  const initial = tasks.data.find((task) => task.id === initialTaskId) ?? tasks.data[0];
  if (!initial) return <p>No tasks are registered.</p>;
  return <Form tasks={tasks.data} initial={initial} />;
}

function Form({ tasks, initial }: { tasks: TaskInfo[]; initial: TaskInfo }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const ids = { task: useId(), input: useId(), help: useId(), error: useId() };
  const [taskId, setTaskId] = useState(initial.id);
  const [text, setText] = useState(() => exampleText(initial));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [options, setOptions] = useState({ timeoutMs: '', sleepMsBeforeRun: '', maxAttempts: '' });
  const task = tasks.find((candidate) => candidate.id === taskId) ?? initial;

  const enqueue = useMutation(
    trpc.executions.enqueue.mutationOptions({
      onSuccess: ({ executionId }) => {
        void queryClient.invalidateQueries(trpc.executions.pathFilter());
        router.push(`/executions/${executionId}`);
      },
    }),
  );
  const issues: Issue[] = (enqueue.error?.data?.zodIssues ?? []).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const inputIssues = issues.filter(
    (issue) => issue.path === 'input' || issue.path.startsWith('input.'),
  );
  const otherIssues = issues.filter((issue) => !inputIssues.includes(issue));
  const inputInvalid = jsonError !== null || inputIssues.length > 0;

  const changeTask = (id: string) => {
    const next = tasks.find((candidate) => candidate.id === id);
    if (!next) return;
    setTaskId(next.id);
    setText(exampleText(next));
    setJsonError(null);
    enqueue.reset();
    router.replace(`/enqueue?task=${encodeURIComponent(id)}`, { scroll: false });
  };

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    enqueue.reset();
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (error) {
      setJsonError(`Not valid JSON: ${jsonErrorMessage(text, error)}`);
      return;
    }
    setJsonError(null);
    const enqueueOptions = {
      ...numberOption('timeoutMs', options.timeoutMs),
      ...numberOption('sleepMsBeforeRun', options.sleepMsBeforeRun),
      ...(options.maxAttempts.trim() !== ''
        ? { retryOptions: { ...task.retryOptions, maxAttempts: Number(options.maxAttempts) } }
        : {}),
    };
    // The input is the user's JSON: the server checks it against the task's schema.
    const request = {
      taskId,
      input,
      ...(Object.keys(enqueueOptions).length > 0 ? { options: enqueueOptions } : {}),
    } as EnqueueRequest;
    enqueue.mutate(request);
  };

  const properties = describeProperties(task.inputJsonSchema);
  return (
    <form className="enqueue-form" onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor={ids.task}>Task</label>
        <select id={ids.task} value={taskId} onChange={(event) => changeTask(event.target.value)}>
          {tasks.map((candidate) => (
            <option key={candidate.id} value={candidate.id}>
              {candidate.id}
            </option>
          ))}
        </select>
        <p className="field-help">
          <InlineCode text={task.description} /> Timeout {formatDuration(task.timeoutMs)},{' '}
          {task.retryOptions.maxAttempts === 0
            ? 'no retries'
            : `up to ${task.retryOptions.maxAttempts} retries`}
          {task.hasFinalizeTask ? ', with a finalize task' : ''}.
        </p>
      </div>

      {properties.length > 0 && (
        <details className="schema" open>
          <summary>Input fields</summary>
          <table className="table schema-table">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Type</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {properties.map((property) => (
                <tr key={property.name}>
                  <td className="mono">
                    {property.name}
                    {property.required ? '' : '?'}
                  </td>
                  <td>{property.type}</td>
                  <td>{property.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}

      <div className="field">
        <label htmlFor={ids.input}>Input (JSON)</label>
        <textarea
          id={ids.input}
          className="json-editor"
          value={text}
          rows={Math.min(16, Math.max(5, text.split('\n').length + 1))}
          spellCheck={false}
          autoCapitalize="off"
          autoCorrect="off"
          aria-invalid={inputInvalid}
          aria-describedby={`${ids.help}${inputInvalid ? ` ${ids.error}` : ''}`}
          onChange={(event) => {
            setText(event.target.value);
            if (jsonError) setJsonError(null);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) submit();
          }}
        />
        <p id={ids.help} className="field-help">
          Checked against the task&apos;s input schema on the server. Ctrl+Enter enqueues.
        </p>
        {inputInvalid && (
          <div id={ids.error} className="field-error" role="alert">
            {jsonError && <p>{jsonError}</p>}
            {inputIssues.length > 0 && (
              <>
                <p>The input does not match the task&apos;s schema:</p>
                <IssueList issues={inputIssues} />
              </>
            )}
          </div>
        )}
      </div>

      <details className="options">
        <summary>Options (optional)</summary>
        <div className="options-grid">
          <NumberField
            label="Timeout (ms)"
            value={options.timeoutMs}
            placeholder={String(task.timeoutMs)}
            onChange={(timeoutMs) => setOptions({ ...options, timeoutMs })}
          />
          <NumberField
            label="Delay before run (ms)"
            value={options.sleepMsBeforeRun}
            placeholder={String(task.sleepMsBeforeRun ?? 0)}
            onChange={(sleepMsBeforeRun) => setOptions({ ...options, sleepMsBeforeRun })}
          />
          <NumberField
            label="Max retries"
            value={options.maxAttempts}
            placeholder={String(task.retryOptions.maxAttempts)}
            onChange={(maxAttempts) => setOptions({ ...options, maxAttempts })}
          />
        </div>
      </details>

      {otherIssues.length > 0 && (
        <div className="field-error" role="alert">
          <p>The options are not valid:</p>
          <IssueList issues={otherIssues} />
        </div>
      )}
      {enqueue.error && issues.length === 0 && (
        <ErrorNotice title="Could not enqueue" error={enqueue.error} returnTo="/enqueue" />
      )}

      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={enqueue.isPending}>
          {enqueue.isPending ? 'Enqueueing…' : `Enqueue ${taskId}`}
        </button>
        <button
          type="button"
          className="button"
          onClick={() => {
            try {
              setText(JSON.stringify(JSON.parse(text), null, 2));
              setJsonError(null);
            } catch (error) {
              setJsonError(`Not valid JSON: ${jsonErrorMessage(text, error)}`);
            }
          }}
        >
          Format JSON
        </button>
        <button
          type="button"
          className="button button-quiet"
          onClick={() => setText(exampleText(task))}
        >
          Reset to example
        </button>
      </div>
    </form>
  );
}

function IssueList({ issues }: { issues: Issue[] }) {
  return (
    <ul>
      {issues.map((issue, index) => (
        <li key={index}>
          {issue.path && <code>{issue.path}</code>} {issue.message}
        </li>
      ))}
    </ul>
  );
}

function NumberField({
  label,
  value,
  placeholder,
  onChange,
}: {
  label: string;
  value: string;
  placeholder: string;
  onChange: (value: string) => void;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type="number"
        inputMode="numeric"
        value={value}
        placeholder={placeholder}
        onChange={(event) => onChange(event.target.value)}
      />
    </label>
  );
}

function numberOption(key: string, value: string): Record<string, number> {
  return value.trim() === '' ? {} : { [key]: Number(value) };
}

function exampleText(task: TaskInfo): string {
  return JSON.stringify(exampleFromSchema(task.inputJsonSchema), null, 2);
}
