namespace SessionBuddy.EndToEnd.Tests;

[TestFixture]
public sealed class HealthToolsTests
{
    [Test]
    public async Task HealthCheckAllReportsEveryServiceHealthyThroughTheBus()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);

        var report = await tools.CallOkAsync("health_check_all");

        var services = report.GetProperty("services").EnumerateArray()
            .ToDictionary(s => s.GetProperty("service").GetString()!, s => s);
        Assert.That(services.Keys, Is.EquivalentTo(new[] { "sessions", "memory", "analytics", "workerpool", "akoshasync" }));
        Assert.Multiple(() =>
        {
            Assert.That(report.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            foreach (var (name, service) in services)
            {
                Assert.That(service.GetProperty("status").GetString(), Is.EqualTo("Healthy"), name);
                var checks = service.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
                Assert.That(checks, Has.Some.EndsWith("db"), $"{name} checks its database");
                Assert.That(checks, Does.Contain("masstransit-bus"), $"{name} checks its bus connection");
            }
        });
    }

    [Test]
    public async Task LivenessAndReadinessDescribeTheGateway()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);

        var liveness = await tools.CallOkAsync("get_liveness");
        var readiness = await tools.CallOkAsync("get_readiness");

        Assert.That(liveness.GetProperty("status").GetString(), Is.EqualTo("alive"));
        Assert.That(readiness.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
        Assert.That(readiness.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()),
            Does.Contain("masstransit-bus"));
    }
}
