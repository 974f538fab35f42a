using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.AppHost.Tests;

/// <summary>The deployment model the AppHost publishes: what azd and aspirate read.</summary>
public partial class ManifestTests
{
    private static readonly string CommittedManifest = Path.Combine(BuildMetadata.RepositoryRoot, "aspire-manifest.json");

    private static readonly (string Service, string Database)[] Services =
        [("sessions", "sessionsdb"), ("memory", "memorydb"), ("analytics", "analyticsdb"), ("workerpool", "workerpooldb"), ("akoshasync", "akoshadb")];

    [Test]
    [CancelAfter(120_000)]
    public async Task Committed_manifest_is_what_the_publisher_writes(CancellationToken cancellationToken)
    {
        var (published, directory, overlay) = await PublishAsync();
        Assert.That(overlay, Is.Null, "no replica count given, no overlay written");
        var committed = WithAbsoluteProjectPaths(Parse(CommittedManifest), Path.GetDirectoryName(CommittedManifest)!);
        Assert.That(JsonNode.DeepEquals(WithAbsoluteProjectPaths(published, directory), committed), Is.True,
            "aspire-manifest.json is stale; regenerate it with: dotnet run --project SessionBuddy.AppHost -- --publisher manifest --output-path ../aspire-manifest.json");
    }

    [Test]
    public void Committed_manifest_uses_accepted_types_and_every_reference_resolves() =>
        AssertWellFormed(Parse(CommittedManifest), Path.GetDirectoryName(CommittedManifest)!);

    [TestCase("--SessionBuddy:Ollama=container", "container.v0")]
    [TestCase("--ConnectionStrings:ollama=Endpoint=http://ollama.example:11434;Model=nomic-embed-text", "parameter.v0")]
    [CancelAfter(120_000)]
    public async Task An_Ollama_asked_for_feeds_Memory_its_embeddings(string argument, string ollamaType, CancellationToken cancellationToken)
    {
        var (manifest, directory, _) = await PublishAsync(argument);
        AssertWellFormed(manifest, directory);
        var resources = manifest["resources"]!.AsObject();
        Assert.That((string?)resources["ollama"]?["type"], Is.EqualTo(ollamaType));
        if (ollamaType == "container.v0")
        {
            Assert.That((string?)resources["ollama"]!["connectionString"], Does.StartWith("Endpoint={ollama.bindings.http.url};Model="));
        }
        Assert.That((string?)resources["memory"]!["env"]!["ConnectionStrings__ollama"], Is.EqualTo("{ollama.connectionString}"));
        Assert.That(resources.Where(r => r.Key != "memory").Select(r => r.Value!["env"]?["ConnectionStrings__ollama"]), Has.All.Null, "only Memory embeds");
        Assert.That(Parse(CommittedManifest)["resources"]!.AsObject().ContainsKey("ollama"), Is.False, "Ollama is optional: not in the default model");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Replicas_size_PostgreSQL_for_every_replica(CancellationToken cancellationToken)
    {
        var (manifest, directory, overlay) = await PublishAsync("--replicas", "3");
        AssertWellFormed(manifest, directory);
        var resources = WithAbsoluteProjectPaths(manifest, directory)["resources"]!.AsObject();
        var committed = WithAbsoluteProjectPaths(Parse(CommittedManifest), Path.GetDirectoryName(CommittedManifest)!)["resources"]!.AsObject();
        static string[] Args(JsonNode resources) => [.. resources["postgres"]!["args"]!.AsArray().Select(a => (string)a!)];
        Assert.Multiple(() =>
        {
            // 40 connections per service replica, plus 50 for administration.
            Assert.That(Args(resources), Does.Contain("max_connections=" + (3 * Services.Length * 40 + 50)));
            Assert.That(Args(committed), Does.Contain("max_connections=" + (Services.Length * 40 + 50)), "the committed manifest is for one replica");
            Assert.That(JsonNode.DeepEquals(resources["gateway"]!["bindings"], committed["gateway"]!["bindings"]), Is.True,
                "the deployment's balancer fronts the gateway replicas on the same binding");
            // Aspire 13.6's manifest writer (project.v0) has no field for WithReplicas, and neither azd nor aspirate
            // would read one: the replica count is the deployment's (docs/deploy.md, "Scaling out"). Should the
            // writer gain one, this fails and the docs change with it.
            foreach (var project in Services.Select(s => s.Service).Append("gateway"))
            {
                Assert.That(JsonNode.DeepEquals(resources[project], committed[project]), Is.True,
                    $"{project}: no replica count is written, so the project resource is the one-replica one");
            }
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Replicas_write_the_kustomize_overlay_with_the_count_for_every_project(CancellationToken cancellationToken)
    {
        var (manifest, _, overlay) = await PublishAsync("--replicas", "3");
        Assert.That(overlay, Is.Not.Null, $"{ReplicaOverlayPath} next to the manifest");
        var projects = manifest["resources"]!.AsObject().Where(r => (string?)r.Value!["type"] == "project.v0").Select(r => r.Key).ToList();
        var counts = OverlayReplica().Matches(overlay!).ToDictionary(m => m.Groups["name"].Value, m => int.Parse(m.Groups["count"].Value));
        Assert.Multiple(() =>
        {
            Assert.That(projects, Is.EquivalentTo(Services.Select(s => s.Service).Append("gateway")));
            Assert.That(counts.Keys, Is.EquivalentTo(projects), "one entry per project, named like its Deployment");
            Assert.That(counts.Values, Has.All.EqualTo(3));
            Assert.That(overlay, Does.Contain("resources:\n- ../k8s\n"), "an overlay over aspirate's output folder deploy/k8s");
        });
    }

    private const string ReplicaOverlayPath = "deploy/k8s-replicas/kustomization.yaml";

    [GeneratedRegex(@"^- name: (?<name>\S+)\n  count: (?<count>\d+)$", RegexOptions.Multiline)]
    private static partial Regex OverlayReplica();

    /// <summary>Publishes the manifest into a fresh folder; also returns the replica overlay written next to it, if any.</summary>
    private static async Task<(JsonNode Manifest, string Directory, string? Overlay)> PublishAsync(params string[] extraArgs)
    {
        var directory = Directory.CreateTempSubdirectory("sessionbuddy-manifest-").FullName;
        try
        {
            var output = Path.Combine(directory, "aspire-manifest.json");
            using var apphost = AppHostProcess.Start(["--publisher", "manifest", "--output-path", output, .. extraArgs]);
            var exitCode = await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.That(exitCode, Is.Zero, string.Join(Environment.NewLine, apphost.Output));
            Assert.That(apphost.Survivors(), Is.Empty, "publishing must not start anything");
            var overlay = Path.Combine(directory, ReplicaOverlayPath);
            return (Parse(output), directory, File.Exists(overlay) ? File.ReadAllText(overlay) : null);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void AssertWellFormed(JsonNode manifest, string manifestDirectory)
    {
        var resources = manifest["resources"]!.AsObject();
        string[] accepted = ["container.v0", "project.v0", "parameter.v0", "value.v0"];
        string[] expected = ["postgres", "sessionsdb", "memorydb", "analyticsdb", "workerpooldb", "akoshadb", "messaging",
            "postgres-password", "messaging-password", "sessions", "memory", "analytics", "workerpool", "akoshasync", "gateway"];

        Assert.Multiple(() =>
        {
            Assert.That(resources.Select(r => r.Key), Is.SupersetOf(expected));
            foreach (var (name, resource) in resources)
            {
                var type = (string?)resource!["type"];
                Assert.That(accepted, Does.Contain(type), $"{name}: type {type} (azd and aspirate accept only {string.Join(", ", accepted)})");
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
                        Assert.That(resource["volumes"]?.AsArray(), Is.Not.Empty, $"{name}: its data is kept in a volume");
                        break;
                    case "value.v0":
                        Assert.That(resource["connectionString"]?.GetValue<string>(), Does.StartWith("{postgres.connectionString};Database=" + name), name);
                        break;
                    case "parameter.v0":
                        Assert.That(resource["inputs"]?["value"]?["secret"]?.GetValue<bool>(), Is.True, $"{name}: secret");
                        if (resource["inputs"]?["value"]?["default"]?["generate"] is { } generate)
                        {
                            Assert.That(generate["special"]?.GetValue<bool>(), Is.False, $"{name}: URL-safe");
                        }
                        break;
                }
            }
            Assert.That((string?)resources["postgres"]!["image"], Is.EqualTo("pgvector/pgvector:pg15"));
            Assert.That((bool?)resources["gateway"]!["bindings"]!["http"]!["external"], Is.True, "the gateway is the public entry");
            foreach (var (service, database) in Services)
            {
                Assert.That((string?)resources[service]!["env"]![$"ConnectionStrings__{database}"], Is.EqualTo($"{{{database}.connectionString}}"));
                Assert.That((bool?)resources[service]!["bindings"]!["http"]!["external"], Is.Null.Or.False, $"{service} is internal");
            }
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
