using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SessionBuddy.WorkerPool.Confinement;

/// <summary>
/// The uids running tasks are given, one per running task on this host. A lease is an exclusive flock on the uid's
/// file in the lock directory (root-only), so every WorkerPool replica on the host shares the range, and a replica
/// that dies releases its leases with its file descriptors. The file names the leased task's directories: the next
/// holder of a uid whose holder died kills what that task left running and takes its directories back first.
/// </summary>
public sealed class TaskUidRange
{
    private static readonly TimeSpan AllLeasedPoll = TimeSpan.FromMilliseconds(50);

    private readonly uint[] _uids;
    private readonly string _lockDirectory;
    private readonly string _setpriv;
    private readonly string? _kill;
    private readonly ConcurrentDictionary<uint, byte> _held = new();
    private int _cursor;

    private TaskUidRange(uint[] uids, string lockDirectory, string setpriv, string? kill)
    {
        _uids = uids;
        _lockDirectory = lockDirectory;
        _setpriv = setpriv;
        _kill = kill;
    }

    public string Describe() => _uids.Length == 0 ? "none" : $"{_uids[0]}-{_uids[^1]} ({_uids.Length} ids)";

    /// <summary>The range, or null with the reason it cannot be used.</summary>
    public static TaskUidRange? Open(ConfinementOptions options, string setpriv, string? kill, out string? problem)
    {
        problem = null;
        if (!OperatingSystem.IsLinux())
        {
            problem = "task uids need Linux";
            return null;
        }
        if (options.TaskUidCount <= 0)
        {
            problem = "WorkerPool:Confinement:TaskUidCount is 0";
            return null;
        }
        if (options.TaskUidFirst < 1000 || (long)options.TaskUidFirst + options.TaskUidCount > int.MaxValue)
        {
            problem = $"WorkerPool:Confinement:TaskUidFirst must be at least 1000 and the range must end below {int.MaxValue}";
            return null;
        }
        var taken = NamedIds("/etc/passwd").Concat(NamedIds("/etc/group")).ToHashSet();
        var uids = Enumerable.Range(options.TaskUidFirst, options.TaskUidCount).Select(id => (uint)id).Where(id => !taken.Contains(id)).ToArray();
        if (uids.Length == 0)
        {
            problem = "every id of the range has a passwd or group entry";
            return null;
        }
        try
        {
            Directory.CreateDirectory(options.TaskUidLockDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // Owner only (tasks must not hold or read leases), whatever it was created with before.
            File.SetUnixFileMode(options.TaskUidLockDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var probe = Path.Combine(options.TaskUidLockDirectory, ".probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"the lease directory {options.TaskUidLockDirectory} (WorkerPool:Confinement:TaskUidLockDirectory) is not usable: {ex.Message}";
            return null;
        }
        return new TaskUidRange(uids, options.TaskUidLockDirectory, setpriv, kill);
    }

    /// <summary>A uid no other running task on this host holds, waiting while all are leased.</summary>
    public async Task<Lease> LeaseAsync(IReadOnlyList<string> directories, CancellationToken cancellationToken)
    {
        while (true)
        {
            var start = (uint)Interlocked.Increment(ref _cursor);
            for (var i = 0; i < _uids.Length; i++)
            {
                var uid = _uids[(start + i) % _uids.Length];
                if (!_held.TryAdd(uid, 0))
                {
                    continue;
                }
                Lease? lease = null;
                try
                {
                    lease = await TryLeaseAsync(uid, directories);
                }
                finally
                {
                    if (lease is null)
                    {
                        _held.TryRemove(uid, out _);
                    }
                }
                if (lease is not null)
                {
                    return lease;
                }
            }
            await Task.Delay(AllLeasedPoll, cancellationToken);
        }
    }

    private async Task<Lease?> TryLeaseAsync(uint uid, IReadOnlyList<string> directories)
    {
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(Path.Combine(_lockDirectory, uid.ToString(CultureInfo.InvariantCulture)), FileMode.OpenOrCreate,
                FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (IOException)
        {
            return null; // another replica is locking it right now
        }
        if (Flock(file.DangerousGetHandle().ToInt32(), LockExclusive | LockNonBlocking) != 0)
        {
            file.Dispose();
            return null;
        }
        var lease = new Lease(this, uid, file);
        try
        {
            // A lease file that still names directories was held by a replica that died during its task.
            var previous = ReadAll(file);
            if (previous.Length > 0)
            {
                await KillEverythingAsync(uid);
                TaskConfinement.TakeBack(previous.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
            Write(file, string.Join('\n', directories));
            return lease;
        }
        catch
        {
            await lease.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Kills every process running as <paramref name="uid"/>: kill(-1, SIGKILL) sent as that uid reaches exactly the
    /// processes it may signal (its own), the ones that left the task's process group (setsid) included, and the
    /// kernel does not let a fork escape it. Repeated until /proc shows none alive.
    /// </summary>
    private async Task<bool> KillEverythingAsync(uint uid)
    {
        for (var round = 0; round < 50; round++)
        {
            if (!AnyProcessRunningAs(uid))
            {
                return true;
            }
            if (round > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20));
            }
            var psi = new ProcessStartInfo(_setpriv) { UseShellExecute = false };
            foreach (var argument in (string[])[$"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", _kill ?? "/bin/sh"])
            {
                psi.ArgumentList.Add(argument);
            }
            foreach (var argument in _kill is null ? ["-c", "kill -KILL -1"] : new[] { "-KILL", "--", "-1" })
            {
                psi.ArgumentList.Add(argument);
            }
            psi.Environment.Clear();
            using var killer = Process.Start(psi)!;
            await killer.WaitForExitAsync();
        }
        return !AnyProcessRunningAs(uid);
    }

    /// <summary>Whether a live (not zombie) process has <paramref name="uid"/> as its real, effective, saved or file uid.</summary>
    public static bool AnyProcessRunningAs(uint uid) => ProcessesRunningAs(uid, stopAtFirst: true) > 0;

    /// <summary>
    /// Live processes of <paramref name="uid"/>, from /proc/*/status (State and Uid lines). Read with one small buffer
    /// per scan and no strings per process: a scan runs at the end of every task.
    /// </summary>
    public static int ProcessesRunningAs(uint uid, bool stopAtFirst = false)
    {
        Span<byte> buffer = stackalloc byte[1024];
        Span<byte> pattern = stackalloc byte[16];
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!char.IsAsciiDigit(dir[6]))
            {
                continue;
            }
            int read;
            try
            {
                using var file = File.OpenHandle(dir + "/status");
                read = RandomAccess.Read(file, buffer, 0);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // gone meanwhile
            }
            if (IsLiveAndRunsAs(buffer[..read], uid, pattern))
            {
                count++;
                if (stopAtFirst)
                {
                    return count;
                }
            }
        }
        return count;
    }

    private static bool IsLiveAndRunsAs(ReadOnlySpan<byte> status, uint uid, Span<byte> number)
    {
        var state = status.IndexOf("\nState:\t"u8);
        if (state < 0 || status.Length <= state + 8 || status[state + 8] is (byte)'Z' or (byte)'X')
        {
            return false;
        }
        var uids = status.IndexOf("\nUid:\t"u8);
        if (uids < 0)
        {
            return false;
        }
        var line = status[(uids + 6)..];
        var end = line.IndexOf((byte)'\n');
        line = end < 0 ? line : line[..end];
        if (!uid.TryFormat(number, out var written, provider: CultureInfo.InvariantCulture))
        {
            return false;
        }
        var text = number[..written];
        // Four tab-separated ids: real, effective, saved, file system.
        foreach (var range in line.Split((byte)'\t'))
        {
            if (line[range].SequenceEqual(text))
            {
                return true;
            }
        }
        return false;
    }

    private static IEnumerable<uint> NamedIds(string file)
    {
        if (!File.Exists(file))
        {
            yield break;
        }
        foreach (var line in File.ReadLines(file))
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                yield return id;
            }
        }
    }

    private static string ReadAll(SafeFileHandle file)
    {
        var buffer = new byte[(int)Math.Min(RandomAccess.GetLength(file), 64 * 1024)];
        var read = RandomAccess.Read(file, buffer, 0);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static void Write(SafeFileHandle file, string text)
    {
        RandomAccess.SetLength(file, 0);
        RandomAccess.Write(file, Encoding.UTF8.GetBytes(text), 0);
    }

    /// <summary>One running task's uid (its gid is the same number); disposing it releases the uid.</summary>
    public sealed class Lease(TaskUidRange range, uint uid, SafeFileHandle file) : IAsyncDisposable
    {
        private int _released;

        public uint Uid { get; } = uid;

        public uint Gid => Uid;

        private bool _cleared;

        /// <summary>Kills every process still running as the uid (once it succeeded, nothing can run as it any more).</summary>
        public async Task KillEverythingAsync()
        {
            if (!_cleared)
            {
                _cleared = await range.KillEverythingAsync(Uid);
            }
        }

        /// <summary>
        /// Releases the uid. The lease file is emptied only when nothing runs as the uid any more, so a uid that could
        /// not be cleared is cleared by its next holder.
        /// </summary>
        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                try
                {
                    if (_cleared)
                    {
                        RandomAccess.SetLength(file, 0);
                    }
                }
                catch (IOException)
                {
                }
                file.Dispose(); // closing the descriptor releases the flock
                range._held.TryRemove(Uid, out _);
            }
            return ValueTask.CompletedTask;
        }
    }

    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);
}
