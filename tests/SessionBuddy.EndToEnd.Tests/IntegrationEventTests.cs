using MassTransit;
using Npgsql;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// SessionCreated, MessageAdded and SessionDeleted leave the Sessions service through its outbox
/// and are applied exactly once by the Analytics service.
/// </summary>
[TestFixture]
public sealed class IntegrationEventTests
{
    [Test]
    public async Task SessionEventsReachAnalyticsExactlyOnce()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var id = (await tools.CallOkAsync("create_session", new { name = "events", project = "analytics-e2e" })).GetProperty("id").GetString()!;
        for (var i = 0; i < 3; i++)
        {
            await tools.CallOkAsync("add_message", new { session_id = id, role = "user", content = $"hello {i}" });
        }
        await tools.CallOkAsync("delete_session", new { session_id = id });

        var sessionId = Guid.Parse(id);
        await using var analytics = new NpgsqlConnection(Suite.App.GetConnectionString("analyticsdb"));
        await analytics.OpenAsync();

        async Task<(long Messages, long Chars, bool Deleted, string? Project)?> ReadActivityAsync()
        {
            await using var command = new NpgsqlCommand(
                "SELECT message_count, content_chars, deleted_at IS NOT NULL, project FROM session_activity WHERE session_id = @id", analytics);
            command.Parameters.AddWithValue("id", sessionId);
            await using var reader = await command.ExecuteReaderAsync();
            return await reader.ReadAsync()
                ? (reader.GetInt64(0), reader.GetInt64(1), reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetString(3))
                : null;
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        var activity = await ReadActivityAsync();
        while ((activity is null || !activity.Value.Deleted || activity.Value.Messages < 3 || activity.Value.Project is null) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            activity = await ReadActivityAsync();
        }

        Assert.That(activity, Is.Not.Null, "analytics received the events");
        Assert.Multiple(() =>
        {
            Assert.That(activity!.Value.Messages, Is.EqualTo(3));
            Assert.That(activity.Value.Chars, Is.EqualTo(3 * "hello 0".Length));
            Assert.That(activity.Value.Deleted, Is.True);
            Assert.That(activity.Value.Project, Is.EqualTo("analytics-e2e"));
        });

        // Every outbox row of the Sessions service was dispatched.
        await using var sessions = new NpgsqlConnection(Suite.App.GetConnectionString("sessionsdb"));
        await sessions.OpenAsync();
        await using var pending = new NpgsqlCommand(
            "SELECT count(*) FROM outbox_messages WHERE dispatched_at IS NULL AND created_at < now() - interval '5 seconds'", sessions);
        Assert.That((long)(await pending.ExecuteScalarAsync())!, Is.EqualTo(0));
    }

    [Test]
    public async Task RedeliveredMessageAddedEventsAreCountedOnce()
    {
        // Events of two sessions published straight to the bus, each one twice with the same MessageId (as a
        // redelivery after a crash would), some back to back so they land in one batch.
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        var at = DateTimeOffset.UtcNow;
        var events = new List<(Guid MessageId, MessageAdded Event)>();
        for (var i = 0; i < 25; i++)
        {
            var session = i % 5 == 0 ? second : first;
            events.Add((Guid.NewGuid(), new MessageAdded(session, Guid.NewGuid(), "user", 10 + i, at.AddMilliseconds(i))));
        }

        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(Suite.App.MessagingUri));
        await bus.StartAsync();
        try
        {
            await Task.WhenAll(events.Select(e => bus.Publish(e.Event, context => context.MessageId = e.MessageId)));
            foreach (var (messageId, added) in events.Take(10))
            {
                await bus.Publish(added, context => context.MessageId = messageId);
            }
            await Task.Delay(300);
            await Task.WhenAll(events.Select(e => bus.Publish(e.Event, context => context.MessageId = e.MessageId)));
        }
        finally
        {
            await bus.StopAsync();
        }

        await using var analytics = new NpgsqlConnection(Suite.App.GetConnectionString("analyticsdb"));
        await analytics.OpenAsync();
        async Task<Dictionary<Guid, (long Messages, long Chars)>> ReadAsync()
        {
            await using var command = new NpgsqlCommand(
                "SELECT session_id, message_count, content_chars FROM session_activity WHERE session_id = ANY(@ids)", analytics);
            command.Parameters.AddWithValue("ids", new[] { first, second });
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new Dictionary<Guid, (long, long)>();
            while (await reader.ReadAsync())
            {
                rows[reader.GetGuid(0)] = (reader.GetInt64(1), reader.GetInt64(2));
            }
            return rows;
        }

        var expected = events.GroupBy(e => e.Event.SessionId)
            .ToDictionary(g => g.Key, g => ((long)g.Count(), g.Sum(e => (long)e.Event.ContentLength)));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var activity = await ReadAsync();
        while (!(activity.TryGetValue(first, out var f) && f.Messages >= expected[first].Item1
                 && activity.TryGetValue(second, out var s) && s.Messages >= expected[second].Item1) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            activity = await ReadAsync();
        }
        await Task.Delay(500); // a wrongly applied duplicate would land by now
        activity = await ReadAsync();

        Assert.Multiple(() =>
        {
            Assert.That(activity[first], Is.EqualTo(expected[first]), "first session: messages, chars");
            Assert.That(activity[second], Is.EqualTo(expected[second]), "second session: messages, chars");
        });
    }
}
