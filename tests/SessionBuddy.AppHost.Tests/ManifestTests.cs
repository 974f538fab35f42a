using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SessionBuddy.AppHost.Model;
using SessionBuddy.AppHost.Publishing;

namespace SessionBuddy.AppHost.Tests;

public partial class ManifestTests
{
    private static readonly string CommittedManifest = Path.Combine(BuildMetadata.RepositoryRoot, "aspire-manifest.json");

    [Test]
    [CancelAfter(120_000)]
    public async Task Committed_manifest_is_what_the_publisher_writes(CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("sessionbuddy-manifest-").FullName;
        try
        {
            var output = Path.Combine(directory, "aspire-manifest.json");
            using var apphost = AppHostProcess.Start(["--publisher", "manifest", "--output-path", output]);
            var exitCode = await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.That(exitCode, Is.Zero, string.Join(Environment.NewLine, apphost.Output));
            Assert.That(apphost.Survivors(), Is.Empty, "publishing must not start anything");

            var published = WithAbsoluteProjectPaths(Parse(output), directory);
            var committed = WithAbsoluteProjectPaths(Parse(CommittedManifest), Path.GetDirectoryName(CommittedManifest)!);
            Assert.That(JsonNode.DeepEquals(published, committed), Is.True,
                "aspire-manifest.json is stale; regenerate it with: dotnet run --project SessionBuddy.AppHost -- --publisher manifest --output-path aspire-manifest.json");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void Committed_manifest_uses_accepted_types_and_every_reference_resolves()
    {
        AssertWellFormed(Parse(CommittedManifest), Path.GetDirectoryName(CommittedManifest)!);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Model_publishes_consistently_with_and_without_ollama(bool includeOllama)
    {
        var directory = BuildMetadata.RepositoryRoot;
        var manifest = ManifestPublisher.Build(SessionBuddyResources.Build(includeOllama), directory);
        AssertWellFormed(manifest, directory);
        var resources = manifest["resources"]!.AsObject();
        Assert.That(resources.ContainsKey("ollama"), Is.EqualTo(includeOllama));
        Assert.That(resources["memory"]!["env"]!.AsObject().ContainsKey("ConnectionStrings__ollama"), Is.EqualTo(includeOllama));
    }

    private static void AssertWellFormed(JsonNode manifest, string manifestDirectory)
    {
        Assert.That((string?)manifest["$schema"], Is.EqualTo("https://json.schemastore.org/aspire-8.0.json"));
        var resources = manifest["resources"]!.AsObject();
        string[] accepted = ["container.v0", "project.v0", "parameter.v0", "value.v0"];
        string[] expected = ["postgres", "sessionsdb", "memorydb", "analyticsdb", "workerpooldb", "akoshadb", "messaging",
            "postgres-password", "rabbitmq-password", "sessions", "memory", "analytics", "workerpool", "akoshasync", "gateway"];

        Assert.Multiple(() =>
        {
            Assert.That(resources.Select(r => r.Key), Is.SupersetOf(expected));
            foreach (var (name, resource) in resources)
            {
                var type = (string?)resource!["type"];
                Assert.That(accepted, Does.Contain(type), $"{name}: type {type}");
                switch (type)
                {
                    case "project.v0":
                        var path = Path.GetFullPath(Path.Combine(manifestDirectory, (string)resource["path"]!));
                        Assert.That(File.Exists(path), $"{name}: project path {path} does not exist");
                        Assert.That(resource["bindings"]?["http"]?["scheme"]?.GetValue<string>(), Is.EqualTo("http"), $"{name}: http binding");
                        Assert.That(resource["env"]?["OTEL_SERVICE_NAME"]?.GetValue<string>(), Is.EqualTo(name), $"{name}: OTEL_SERVICE_NAME");
                        Assert.That(resource["env"]?["ConnectionStrings__messaging"]?.GetValue<string>(), Is.EqualTo("{messaging.connectionString}"), $"{name}: bus");
                        break;
                    case "container.v0":
                        Assert.That(resource["image"]?.GetValue<string>(), Is.Not.Empty, $"{name}: image");
                        Assert.That(resource["connectionString"]?.GetValue<string>(), Is.Not.Empty, $"{name}: connectionString");
                        break;
                    case "value.v0":
                        Assert.That(resource["connectionString"]?.GetValue<string>(), Does.StartWith("{postgres.connectionString};Database="), name);
                        break;
                    case "parameter.v0":
                        Assert.That(resource["inputs"]?["value"]?["type"]?.GetValue<string>(), Is.EqualTo("string"), name);
                        break;
                }
            }
            foreach (var (service, database) in SessionBuddyResources.Services)
            {
                Assert.That(resources[service]!["env"]![$"ConnectionStrings__{database}"]?.GetValue<string>(), Is.EqualTo($"{{{database}.connectionString}}"));
                Assert.That(resources["gateway"]!["env"]![$"services__{service}__http__0"]?.GetValue<string>(), Is.EqualTo($"{{{service}.bindings.http.url}}"));
            }
            Assert.That((bool?)resources["postgres-password"]!["inputs"]!["value"]!["secret"], Is.True);
            Assert.That((bool?)resources["rabbitmq-password"]!["inputs"]!["value"]!["secret"], Is.True);

            foreach (var reference in Strings(manifest).SelectMany(s => Reference().Matches(s)).Select(m => m.Groups[1].Value))
            {
                Assert.That(resources.ContainsKey(reference), $"reference to unknown resource '{reference}'");
            }
        });
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    [GeneratedRegex(@"\{([A-Za-z0-9_-]+)\.[A-Za-z0-9_.]+\}")]
    private static partial Regex Reference();

    private static JsonNode Parse(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    /// <summary>Project paths are relative to the manifest; make them comparable across directories.</summary>
    private static JsonNode WithAbsoluteProjectPaths(JsonNode manifest, string manifestDirectory)
    {
        foreach (var (_, resource) in manifest["resources"]!.AsObject())
        {
            if ((string?)resource!["type"] == "project.v0")
            {
                resource["path"] = Path.GetFullPath(Path.Combine(manifestDirectory, (string)resource["path"]!));
            }
        }
        return manifest;
    }
}
