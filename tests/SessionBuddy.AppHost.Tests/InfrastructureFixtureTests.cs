using Npgsql;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.AppHost.Tests;

/// <summary>The lighter fixture other test projects use: servers start, a fresh database has pgvector, cleanup is complete.</summary>
public class InfrastructureFixtureTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Starts_servers_creates_databases_and_leaves_nothing_behind(CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        string dataDirectory;
        await using (var fixture = await InfrastructureFixture.CreateAsync(new FixtureOptions { Echo = TestContext.Progress.WriteLine }, cancellationToken))
        {
            dataDirectory = fixture.DataDirectory;
            TestContext.Progress.WriteLine($"infrastructure ready in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");

            var connectionString = await fixture.CreateDatabaseAsync("fixture_probe", cancellationToken);
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector; SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector", connection);
                Assert.That(await command.ExecuteScalarAsync(cancellationToken), Is.TypeOf<double>());
            }

            Assert.That(fixture.MessagingUri.Scheme, Is.EqualTo("amqp"));
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(fixture.MessagingUri.Host, fixture.MessagingUri.Port, cancellationToken);
        }

        Assert.That(ProcessProbe.ProcessesOwnedBy(dataDirectory), Is.Empty, "processes left after DisposeAsync");
    }
}
