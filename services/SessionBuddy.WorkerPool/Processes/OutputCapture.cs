using System.Text;

namespace SessionBuddy.WorkerPool.Processes;

/// <summary>
/// Keeps the last <c>maxChars</c> characters of a task's output in memory and writes every line to
/// the log file in the task's workspace, so a chatty process cannot grow the service's memory.
/// </summary>
public sealed class OutputCapture(int maxChars, StreamWriter? log) : IDisposable
{
    private readonly StringBuilder _tail = new();
    private readonly StringBuilder _stderrTail = new();
    private readonly object _gate = new();

    public bool Truncated { get; private set; }

    public long TotalChars { get; private set; }

    public void Append(string stream, string line)
    {
        lock (_gate)
        {
            log?.WriteLine(stream == "stderr" ? "[stderr] " + line : line);
            if (stream != "stdout")
            {
                _stderrTail.Append(line).Append('\n');
                if (_stderrTail.Length > 2_000)
                {
                    _stderrTail.Remove(0, _stderrTail.Length - 2_000);
                }
                return;
            }
            TotalChars += line.Length + 1;
            _tail.Append(line).Append('\n');
            if (_tail.Length > maxChars)
            {
                _tail.Remove(0, _tail.Length - maxChars);
                Truncated = true;
            }
        }
    }

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return _tail.ToString().TrimEnd('\n');
            }
        }
    }

    /// <summary>The last stderr lines, for the error of a failed task.</summary>
    public string StderrTail
    {
        get
        {
            lock (_gate)
            {
                return _stderrTail.ToString().Trim();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            log?.Dispose();
        }
    }
}
