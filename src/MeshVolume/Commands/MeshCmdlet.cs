using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using MeshVolume.Services;


namespace MeshVolume.Commands
{
    /// <summary>
    /// Base of every MeshVolume cmdlet: one cancellation token per invocation, cancelled by
    /// Ctrl+C, and a pump that runs asynchronous work while keeping every Write* call on the
    /// pipeline thread.
    /// </summary>
    public abstract class MeshCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private readonly BlockingCollection<Action> _pipelineQueue = new BlockingCollection<Action>();
        private int _pipelineThreadId;

        /// <summary>Token cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
        protected CancellationToken CancellationToken => _stopping.Token;

        protected override void BeginProcessing()
        {
            _pipelineThreadId = Environment.CurrentManagedThreadId;
        }

        protected override void StopProcessing()
        {
            _stopping.Cancel();
        }

        /// <summary>
        /// Runs asynchronous work to completion on a worker thread while this thread executes
        /// what the work posts with <see cref="Post"/>. Exceptions come back unwrapped.
        /// </summary>
        protected T RunAsync<T>(Func<CancellationToken, Task<T>> work)
        {
            if (_pipelineThreadId == 0)
            {
                _pipelineThreadId = Environment.CurrentManagedThreadId;
            }

            // Off the pipeline thread (a nested call from running work) there is no pump to
            // run: pumping there would race the pipeline thread for the queue and deadlock.
            if (Environment.CurrentManagedThreadId != _pipelineThreadId)
            {
                return work(CancellationToken).GetAwaiter().GetResult();
            }

            Task<T> task = Task.Run(() => work(CancellationToken));
            task.ContinueWith(_ => _pipelineQueue.Add(() => { }), TaskScheduler.Default);

            // Once the pipeline stops, every Write* throws. The work is still waited for, so
            // its cleanup (removing a helper container, starting stopped containers) finishes
            // before the cmdlet is disposed. Only then is the stop raised.
            PipelineStoppedException stopped = null;
            while (!task.IsCompleted)
            {
                Action action = _pipelineQueue.Take();
                stopped = Execute(action, stopped);
            }

            while (_pipelineQueue.TryTake(out Action remaining))
            {
                stopped = Execute(remaining, stopped);
            }

            if (stopped != null)
            {
                task.ContinueWith(t => t.Exception, TaskScheduler.Default).Wait();
                throw stopped;
            }

            return task.GetAwaiter().GetResult();
        }

        private static PipelineStoppedException Execute(Action action, PipelineStoppedException stopped)
        {
            if (stopped != null)
            {
                return stopped;
            }

            try
            {
                action();
                return null;
            }
            catch (PipelineStoppedException ex)
            {
                return ex;
            }
        }

        /// <summary>Runs asynchronous work that returns nothing, as <see cref="RunAsync{T}"/>.</summary>
        protected void RunAsync(Func<CancellationToken, Task> work)
        {
            RunAsync<bool>(async token =>
            {
                await work(token).ConfigureAwait(false);
                return true;
            });
        }

        /// <summary>
        /// Runs asynchronous work like <see cref="RunAsync{T}"/> and writes a progress record
        /// from the transfer's counters twice a second, completing it however the work ends.
        /// </summary>
        protected T RunWithProgress<T>(
            Func<CancellationToken, Task<T>> work, TransferProgress progress, string activity,
            int activityId = 1)
        {
            var record = new ProgressRecord(activityId, activity, "Starting");
            void Update()
            {
                record.StatusDescription = progress.Describe();
                if (progress.TotalBytes > 0)
                {
                    record.PercentComplete = (int)Math.Min(
                        99, progress.Bytes * 100 / progress.TotalBytes.Value);
                }

                WriteProgress(record);
            }

            using (var timer = new Timer(_ => Post(Update), null, 500, 500))
            {
                try
                {
                    return RunAsync(work);
                }
                finally
                {
                    timer.Change(Timeout.Infinite, Timeout.Infinite);
                    try
                    {
                        DrainPipelineQueue();
                        record.RecordType = ProgressRecordType.Completed;
                        WriteProgress(record);
                    }
                    catch (PipelineStoppedException)
                    {
                        // The pipeline is stopping: no progress record can be written any more.
                    }
                }
            }
        }

        /// <summary>
        /// Queues an action, such as WriteVerbose or WriteProgress, to run on the pipeline
        /// thread; on the pipeline thread itself it runs at once.
        /// </summary>
        protected void Post(Action action)
        {
            if (Environment.CurrentManagedThreadId == _pipelineThreadId)
            {
                action();
                return;
            }

            _pipelineQueue.Add(action);
        }

        /// <summary>Writes a verbose line from any thread; the text is built only when shown.</summary>
        protected void PostVerbose(Func<string> message)
        {
            if (!IsVerbose)
            {
                return;
            }

            string text = message();
            Post(() => WriteVerbose(text));
        }

        /// <summary>True when -Verbose or $VerbosePreference requests verbose output.</summary>
        protected bool IsVerbose
        {
            get
            {
                if (MyInvocation.BoundParameters.TryGetValue("Verbose", out object value))
                {
                    return ((SwitchParameter)value).ToBool();
                }

                object preference = SessionState?.PSVariable?.GetValue("VerbosePreference");
                return preference is ActionPreference p && p != ActionPreference.SilentlyContinue
                    && p != ActionPreference.Ignore;
            }
        }

        private void DrainPipelineQueue()
        {
            while (_pipelineQueue.TryTake(out Action action))
            {
                action();
            }
        }

        /// <summary>Releases what the cmdlet opened; PowerShell calls it however the cmdlet ends.</summary>
        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }

        protected virtual void Dispose(bool disposing)
        {
            if (disposing)
            {
                _stopping.Dispose();
                _pipelineQueue.Dispose();
            }
        }

        /// <summary>Throws a terminating error built from the given parts.</summary>
        protected void ThrowTerminating(
            string message, string errorId, ErrorCategory category, object target,
            Exception inner = null)
        {
            ThrowTerminatingError(MeshErrors.Create(message, errorId, category, target, inner));
        }

        /// <summary>Writes a non-terminating error built from the given parts.</summary>
        protected void WriteError(
            string message, string errorId, ErrorCategory category, object target,
            Exception inner = null)
        {
            WriteError(MeshErrors.Create(message, errorId, category, target, inner));
        }
    }
}
