using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SessionBuddy.Contracts.Analytics;
using SessionBuddy.Gateway.Security;

namespace SessionBuddy.Gateway.Tests;

/// <summary>A mutating call's answer reaches the caller only once its audit entry is stored.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class AuditTrailTests
{
    /// <summary>An audit trail whose store takes <see cref="Delay"/> and then succeeds or fails.</summary>
    private sealed class SlowTrail : IAuditTrail
    {
        public TimeSpan Delay { get; init; }
        public bool Fails { get; init; }
        public ConcurrentQueue<ToolCallAudited> Stored { get; } = new();

        public async Task RecordAsync(ToolCallAudited entry)
        {
            await Task.Delay(Delay);
            if (Fails)
            {
                throw new AuditUnavailableException("the broker did not confirm it within 10 s");
            }
            Stored.Enqueue(entry);
        }
    }

    private static async Task<(McpTestHost Host, McpClient Client)> StartAsync(SlowTrail trail)
    {
        var host = await McpTestHost.StartSecuredAsync(TestTokens.Settings(), services => services.AddSingleton<IAuditTrail>(trail));
        var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = host.Endpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + TestTokens.Valid("read,write") },
        }));
        return (host, client);
    }

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));

    [Test]
    public async Task TheAnswerWaitsUntilTheEntryIsStored()
    {
        var trail = new SlowTrail { Delay = TimeSpan.FromMilliseconds(500) };
        var (host, client) = await StartAsync(trail);
        await using var _ = host;
        await using var __ = client;

        var written = await client.CallToolAsync("write_note", new Dictionary<string, object?> { ["text"] = "kept", ["project"] = "p1" });
        var read = await client.CallToolAsync("read_notes", new Dictionary<string, object?> { ["project"] = "p1" });

        Assert.That(written.IsError, Is.Not.True, Text(written));
        var entry = trail.Stored.Single(); // stored when the answer arrived; the read call is not audited
        Assert.That((entry.Tool, entry.Subject, entry.Project, entry.Outcome), Is.EqualTo(("write_note", "tester", "p1", AuditOutcomes.Ok)));
        Assert.That(read.IsError, Is.Not.True);
    }

    [Test]
    public async Task WhenTheEntryCannotBeStoredTheCallerGetsAnErrorInsteadOfTheResult()
    {
        var trail = new SlowTrail { Fails = true };
        var (host, client) = await StartAsync(trail);
        await using var _ = host;
        await using var __ = client;

        var written = await client.CallToolAsync("write_note", new Dictionary<string, object?> { ["text"] = "unaudited", ["project"] = "p1" });
        var read = await client.CallToolAsync("read_notes", new Dictionary<string, object?> { ["project"] = "p1" });

        Assert.That(written.IsError, Is.True);
        Assert.That(Text(written), Does.StartWith("Audit log unavailable: write_note was carried out (outcome: ok)")
            .And.Contain("not confirm").And.Contain("Do not simply repeat a write"));
        Assert.That(Text(written), Does.Not.Contain("\"notes\""), "the tool's own result is withheld");
        Assert.That(host.Notes.Written, Is.EqualTo(new[] { "p1:unaudited" }), "the message says what happened: the write was done");
        Assert.That(read.IsError, Is.Not.True, "reads are not audited and still answer");
    }
}
