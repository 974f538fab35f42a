using Npgsql;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.AppHost.Tests;

/// <summary>The whole-system fixture: everything healthy, crash and restart of one process, complete cleanup.</summary>
public class DistributedAppFixtureTests
{
    [Test]
    [CancelAfter(240_000)]
    public async Task Starts_all_processes_survives_a_killed_service_and_cleans_up(CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        string dataDirectory;
        await using (var app = await DistributedAppFixture.CreateAsync(new FixtureOptions(), cancellationToken))
        {
            dataDirectory = app.DataDirectory;
            TestContext.Progress.WriteLine($"distributed app healthy in {(DateTime.UtcNow - started).TotalSeconds:0.0} s; MCP at {app.McpUri}");
            Assert.That(app.McpUri.AbsolutePath, Is.EqualTo("/mcp"));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            foreach (var project in app.ProjectNames)
            {
                using var health = await http.GetAsync(new Uri(app.GetEndpoint(project), "/health"), cancellationToken);
                Assert.That((int)health.StatusCode, Is.EqualTo(200), project);
            }
            foreach (var (database, connectionString) in app.DatabaseConnectionStrings)
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                Assert.That(connection.Database, Does.StartWith(database));
            }

            await app.KillAsync("memory");
            Assert.That(async () => await http.GetAsync(new Uri(app.GetEndpoint("memory"), "/alive"), cancellationToken), Throws.InstanceOf<HttpRequestException>());

            await app.StartAsync("memory", cancellationToken);
            using var again = await http.GetAsync(new Uri(app.GetEndpoint("memory"), "/health"), cancellationToken);
            Assert.That((int)again.StatusCode, Is.EqualTo(200));
            Assert.That(File.ReadAllText(app.GetLogPath("memory")), Is.Not.Empty);
        }

        Assert.That(ProcessProbe.ProcessesOwnedBy(dataDirectory), Is.Empty, "processes left after DisposeAsync");
    }
}
