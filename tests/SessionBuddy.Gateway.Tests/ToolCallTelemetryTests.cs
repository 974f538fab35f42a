using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using ModelContextProtocol.Client;
using SessionBuddy.ServiceDefaults.Telemetry;

namespace SessionBuddy.Gateway.Tests;

/// <summary>Every tools/call is counted, timed and traced on SessionBuddy's own Meter and ActivitySource, by tool and outcome.</summary>
[TestFixture]
public sealed class ToolCallTelemetryTests
{
    private sealed record Measurement(string Instrument, double Value, string? Tool, string? Outcome);

    [Test]
    public async Task Each_call_is_counted_timed_and_traced_with_its_tool_and_outcome()
    {
        var measurements = new ConcurrentQueue<Measurement>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SessionBuddyTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? tool = null, outcome = null;
            foreach (var tag in tags)
            {
                tool = tag.Key == SessionBuddyTelemetry.ToolNameTag ? tag.Value as string : tool;
                outcome = tag.Key == SessionBuddyTelemetry.OutcomeTag ? tag.Value as string : outcome;
            }
            measurements.Enqueue(new Measurement(instrument.Name, value, tool, outcome));
        }
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        meters.Start();

        var spans = new ConcurrentQueue<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SessionBuddyTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(activities);

        await using (var host = await McpTestHost.StartAsync())
        await using (var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = host.Endpoint, TransportMode = HttpTransportMode.StreamableHttp })))
        {
            await client.CallToolAsync("echo", new Dictionary<string, object?> { ["text"] = "a" });
            await client.CallToolAsync("echo", new Dictionary<string, object?> { ["text"] = "b" });
            var bad = await client.CallToolAsync("find_session", new Dictionary<string, object?> { ["session_id"] = "not-a-uuid" });
            Assert.That(bad.IsError, Is.True);
        }

        var calls = measurements.Where(m => m.Instrument == SessionBuddyTelemetry.ToolCalls).ToList();
        var durations = measurements.Where(m => m.Instrument == SessionBuddyTelemetry.ToolDuration).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(calls.Where(m => m is { Tool: "echo", Outcome: "ok" }).Sum(m => m.Value), Is.EqualTo(2));
            Assert.That(calls.Where(m => m is { Tool: "find_session", Outcome: "tool_error" }).Sum(m => m.Value), Is.EqualTo(1));
            Assert.That(durations.Count(m => m.Tool == "echo"), Is.EqualTo(2));
            Assert.That(durations.Where(m => m.Tool == "echo").Select(m => m.Value), Has.All.GreaterThan(0).And.All.LessThan(10), "seconds");

            var echoSpans = spans.Where(s => (string?)s.GetTagItem(SessionBuddyTelemetry.ToolNameTag) == "echo").ToList();
            Assert.That(echoSpans, Has.Count.EqualTo(2));
            Assert.That(echoSpans.Select(s => s.DisplayName), Has.All.EqualTo("tool echo"));
            Assert.That(echoSpans.Select(s => s.GetTagItem(SessionBuddyTelemetry.OutcomeTag)), Has.All.EqualTo("ok"));
            var failed = spans.Single(s => (string?)s.GetTagItem(SessionBuddyTelemetry.ToolNameTag) == "find_session");
            Assert.That(failed.Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(failed.GetTagItem(SessionBuddyTelemetry.OutcomeTag), Is.EqualTo("tool_error"));
        });
    }
}
