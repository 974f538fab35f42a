namespace SessionBuddy.ServiceDefaults.Tests;

/// <summary>
/// ServiceDefaults is what every process gets (telemetry, health, options, database, scheduling), as in eShop: it knows
/// no message contracts and no bus. Those are SessionBuddy.Messaging's, which references ServiceDefaults, not the reverse.
/// </summary>
[TestFixture]
public sealed class ArchitectureTests
{
    [TestCase("SessionBuddy.Contracts")]
    [TestCase("SessionBuddy.Messaging")]
    [TestCase("MassTransit")]
    [TestCase("MassTransit.RabbitMqTransport")]
    public void ServiceDefaultsDoesNotReference(string assembly)
    {
        var serviceDefaults = typeof(SessionBuddy.ServiceDefaults.Extensions).Assembly;
        Assert.That(serviceDefaults.GetName().Name, Is.EqualTo("SessionBuddy.ServiceDefaults"));
        var referenced = serviceDefaults.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.That(referenced, Has.Some.EqualTo("Npgsql"), "the list read is the compiled assembly's references");
        Assert.That(referenced, Has.None.EqualTo(assembly),
            $"SessionBuddy.ServiceDefaults references {assembly}: move the code that needs it to SessionBuddy.Messaging");
    }
}
