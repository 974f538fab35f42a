using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SessionBuddy.WorkerPool.Processes;

/// <summary>
/// Reads a started process's stdout and stderr line by line, each on a (long-lived) thread of its own
/// with blocking reads, so the kernel wakes the reader directly when the output ends. The reader that sees the last end
/// waits for the process to exit (it normally already has) and then completes <see cref="Ended"/> on its
/// own thread, which runs the rest of the task there: between the process's exit and its result there is
/// no hop through the epoll thread, the exit-event wait thread or the thread-pool queue, which on a
/// saturated machine is where a task's dispatch overhead went (bench workers, p95).
/// </summary>
public sealed class OutputReaders
{
    // Continuations run synchronously on the reader thread that completes it (see above).
    private readonly TaskCompletionSource _ended = new();
    private readonly Process _process;
    private readonly Action<string, string> _onLine;
    private int _open = 2;

    public OutputReaders(Process process, Action<string, string> onLine)
    {
        _process = process;
        _onLine = onLine;
        Start(process.StandardOutput, "stdout");
        Start(process.StandardError, "stderr");
    }

    /// <summary>Completes once both streams ended and the process exited.</summary>
    public Task Ended => _ended.Task;

    private void Start(StreamReader reader, string stream) => ReaderThreads.Run(() => Read(reader, stream));

    private void Read(StreamReader reader, string stream)
    {
        try
        {
            while (reader.ReadLine() is { } line)
            {
                _onLine(stream, line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The pipe was closed under the reader: the output ends here.
        }
        catch (Exception ex)
        {
            // A failing line handler must not take the service down: reading ends here and Ended carries the exception.
            _ended.TrySetException(ex);
            return;
        }
        if (Interlocked.Decrement(ref _open) != 0)
        {
            return;
        }
        try
        {
            // A process that closed its output but runs on is waited for here; cancel and timeout kill it.
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Disposed meanwhile (the task gave up on its output): nothing waits for this any more.
        }
        _ended.TrySetResult();
    }
}

/// <summary>
/// Long-lived threads for blocking output reads: one per stream being read, idle ones reused (a thread that
/// has slept gets the CPU sooner when woken than a fresh one), idle ones ending after a minute.
/// </summary>
internal static class ReaderThreads
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(1);
    private static readonly BlockingCollection<Action> Work = new(new ConcurrentQueue<Action>());

    // Idle threads not yet claimed by queued work: every queued read has a thread of its own, so a reader
    // blocked on one stream never waits for another stream's reader to finish (a child blocked writing to a
    // full stderr pipe would never close its stdout).
    private static int _idle;

    private const int PrioProcess = 0;
    private const int ReaderNice = -5;

    // On Linux the nice value is per thread: who = 0 is the calling thread.
    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);

    public static void Run(Action work)
    {
        Work.Add(work);
        if (Interlocked.Decrement(ref _idle) < 0)
        {
            Interlocked.Increment(ref _idle);
            new Thread(Loop) { IsBackground = true, Name = "task output" }.UnsafeStart();
        }
    }

    private static void Loop()
    {
        // These threads only read output and finish tasks; given the CPU first when woken, a task's result is
        // ready soon after its process exits even when the machine is saturated. Without the privilege
        // (CAP_SYS_NICE) the call fails and they run at normal priority.
        if (OperatingSystem.IsLinux())
        {
            _ = SetPriority(PrioProcess, 0, ReaderNice);
        }
        while (true)
        {
            if (Work.TryTake(out var work, IdleTimeout))
            {
                work();
                Interlocked.Increment(ref _idle);
                continue;
            }
            if (Interlocked.Decrement(ref _idle) >= 0)
            {
                return;
            }
            // This thread's idle slot was just claimed by queued work: take it.
            Interlocked.Increment(ref _idle);
        }
    }
}
