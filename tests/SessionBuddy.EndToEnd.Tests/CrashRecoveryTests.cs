using System.Collections.Concurrent;
using Npgsql;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// Kills the Sessions service process while clients are writing, restarts it, and checks that every
/// write acknowledged to a client is stored exactly once, and that nothing was stored twice.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CrashRecoveryTests
{
    private const int Writers = 8;

    [Test]
    public async Task EveryAcknowledgedMessageSurvivesAKilledSessionsServiceExactlyOnce()
    {
        await using var setup = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var sessionId = (await setup.CallOkAsync("create_session", new { name = "crash test" })).GetProperty("id").GetString()!;

        var acknowledged = new ConcurrentDictionary<string, string>(); // content -> message id
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var afterRestart = 0;
        var restarted = false;

        async Task WriteAsync(int writer)
        {
            await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var content = $"writer {writer} message {n}";
                var result = await tools.CallAsync("add_message", new { session_id = sessionId, role = "user", content });
                if (result.IsError == true)
                {
                    failures.Enqueue(ToolClient.Text(result));
                    continue;
                }
                acknowledged[content] = result.StructuredContent!.Value.GetProperty("id").GetString()!;
                if (Volatile.Read(ref restarted))
                {
                    Interlocked.Increment(ref afterRestart);
                }
            }
        }

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteAsync(w))).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(2));
        var beforeKill = acknowledged.Count;
        await Suite.App.KillAsync("sessions");
        await Task.Delay(TimeSpan.FromSeconds(1));
        await Suite.App.StartAsync("sessions");
        Volatile.Write(ref restarted, true);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var stored = await ReadMessagesAsync(Guid.Parse(sessionId));
        TestContext.Out.WriteLine(
            $"acknowledged {acknowledged.Count} ({beforeKill} before the kill, {afterRestart} after the restart), " +
            $"stored {stored.Count}, failed calls {failures.Count}");

        Assert.Multiple(() =>
        {
            Assert.That(beforeKill, Is.GreaterThan(0), "writes happened before the kill");
            Assert.That(afterRestart, Is.GreaterThan(0), "writes succeed after the restart");
            foreach (var (content, id) in acknowledged)
            {
                Assert.That(stored.Count(m => m.Content == content), Is.EqualTo(1), $"'{content}' stored exactly once");
                Assert.That(stored.Any(m => m.Id == id && m.Content == content), Is.True, $"'{content}' kept the id the client was given");
            }
            Assert.That(stored.GroupBy(m => m.Content).Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "no write stored twice");
            Assert.That(stored.Select(m => m.Sequence), Is.EqualTo(Enumerable.Range(1, stored.Count).Select(i => (long)i)), "sequence has no gaps");
        });
    }

    private static async Task<List<(string Id, string Content, long Sequence)>> ReadMessagesAsync(Guid sessionId)
    {
        await using var connection = new NpgsqlConnection(Suite.App.GetConnectionString("sessionsdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, content, sequence FROM messages WHERE session_id = @id ORDER BY sequence", connection);
        command.Parameters.AddWithValue("id", sessionId);
        var rows = new List<(string, string, long)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetGuid(0).ToString(), reader.GetString(1), reader.GetInt64(2)));
        }
        return rows;
    }
}
