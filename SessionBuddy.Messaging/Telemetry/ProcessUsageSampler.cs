using System.Diagnostics;
using SessionBuddy.Contracts.Analytics;

namespace SessionBuddy.Messaging.Telemetry;

/// <summary>
/// CPU and memory of this process for the analytics performance report: CPU as percent of all the machine's
/// cores over the time since the previous sample, memory as the working set in MB.
/// </summary>
public sealed class ProcessUsageSampler(string service)
{
    private readonly string _instance = $"{Environment.MachineName}:{Environment.ProcessId}";
    private TimeSpan _lastCpu = Process.GetCurrentProcess().TotalProcessorTime;
    private long _lastTimestamp = Stopwatch.GetTimestamp();

    public ProcessUsageSample Sample()
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var now = Stopwatch.GetTimestamp();
        var wall = Stopwatch.GetElapsedTime(_lastTimestamp, now);
        var percent = wall <= TimeSpan.Zero ? 0 : (cpu - _lastCpu).TotalMilliseconds / (wall.TotalMilliseconds * Environment.ProcessorCount) * 100;
        (_lastCpu, _lastTimestamp) = (cpu, now);
        return new ProcessUsageSample(service, _instance, Math.Round(Math.Clamp(percent, 0, 100), 2),
            Math.Round(process.WorkingSet64 / (1024.0 * 1024.0), 1), DateTimeOffset.UtcNow);
    }
}
