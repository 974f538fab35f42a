using System.Diagnostics.Metrics;
using SessionBuddy.Contracts.Analytics;

namespace SessionBuddy.Gateway.Analytics;

/// <summary>
/// Collects the duration of every tool call this gateway serves from the MCP SDK's own
/// <c>mcp.server.operation.duration</c> histogram (method tools/call, tagged with the tool name), so it measures
/// the whole call whatever transport serves it. Keeps all counts and a uniform sample of at most
/// <see cref="MaxSamplesPerWindow"/> durations per window, handed over by <see cref="TakeWindow"/>.
/// </summary>
public sealed class ToolCallTimings : IDisposable
{
    public const int MaxSamplesPerWindow = 500;
    private const string McpMeter = "Experimental.ModelContextProtocol";
    private const string OperationDuration = "mcp.server.operation.duration";

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private List<ToolCallSample> _samples = [];
    private long _calls;

    public ToolCallTimings()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == McpMeter && instrument.Name == OperationDuration)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>The calls since the previous window: how many, and the sample of their durations.</summary>
    public (long Calls, IReadOnlyList<ToolCallSample> Samples) TakeWindow()
    {
        lock (_lock)
        {
            var window = (_calls, (IReadOnlyList<ToolCallSample>)_samples);
            (_calls, _samples) = (0, []);
            return window;
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? method = null, tool = null;
        var failed = false;
        foreach (var tag in tags)
        {
            switch (tag.Key)
            {
                case "mcp.method.name":
                    method = tag.Value as string;
                    break;
                case "gen_ai.tool.name":
                    tool = tag.Value as string;
                    break;
                case "error.type":
                    failed = tag.Value is not null;
                    break;
            }
        }
        if (method != "tools/call")
        {
            return;
        }
        var sample = new ToolCallSample(tool ?? "unknown", seconds * 1000, failed, DateTimeOffset.UtcNow);
        lock (_lock)
        {
            _calls++;
            if (_samples.Count < MaxSamplesPerWindow)
            {
                _samples.Add(sample);
            }
            else if (Random.Shared.NextInt64(_calls) < MaxSamplesPerWindow)
            {
                // Reservoir sampling: every call of the window is equally likely to be kept.
                _samples[Random.Shared.Next(MaxSamplesPerWindow)] = sample;
            }
        }
    }
}
