using System.Text.Json;
using System.Text.Json.Nodes;
using SessionBuddy.AppHost.Model;

namespace SessionBuddy.AppHost.Publishing;

/// <summary>
/// Writes the resource model as an Aspire manifest (schema aspire-8.0), using only the resource
/// types both azd and aspirate accept: container.v0, project.v0, parameter.v0 and value.v0.
/// </summary>
public static class ManifestPublisher
{
    public const string SchemaUri = "https://json.schemastore.org/aspire-8.0.json";

    public static async Task WriteAsync(ResourceModel model, string outputPath, CancellationToken cancellationToken = default)
    {
        var fullPath = Path.GetFullPath(outputPath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var json = Build(model, Path.GetDirectoryName(fullPath)!)
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        await File.WriteAllTextAsync(fullPath, json, cancellationToken);
    }

    /// <param name="manifestDirectory">Project paths are written relative to it, as Aspire does.</param>
    public static JsonObject Build(ResourceModel model, string manifestDirectory)
    {
        var resources = new JsonObject();
        foreach (var resource in model.Resources)
        {
            resources[resource.Name] = resource switch
            {
                ParameterResource p => Parameter(p),
                ConnectionStringResource c => ConnectionString(c),
                ContainerResource c => Container(c),
                DatabaseResource d => new JsonObject { ["type"] = "value.v0", ["connectionString"] = d.ConnectionString },
                ProjectResource p => Project(p, manifestDirectory),
                _ => throw new NotSupportedException($"No manifest form for {resource.GetType().Name}."),
            };
        }
        return new JsonObject { ["$schema"] = SchemaUri, ["resources"] = resources };
    }

    private static JsonObject Parameter(ParameterResource p) => new()
    {
        ["type"] = "parameter.v0",
        ["value"] = $"{{{p.Name}.inputs.value}}",
        ["inputs"] = new JsonObject
        {
            ["value"] = new JsonObject
            {
                ["type"] = "string",
                ["secret"] = p.Secret,
                // URL-safe so the value can sit in an amqp:// URI.
                ["default"] = new JsonObject { ["generate"] = new JsonObject { ["minLength"] = p.GeneratedMinLength, ["special"] = false } },
            },
        },
    };

    private static JsonObject ConnectionString(ConnectionStringResource c) => new()
    {
        ["type"] = "parameter.v0",
        ["connectionString"] = $"{{{c.Name}.value}}",
        ["value"] = $"{{{c.Name}.inputs.value}}",
        ["inputs"] = new JsonObject { ["value"] = new JsonObject { ["type"] = "string", ["secret"] = true } },
    };

    private static JsonObject Container(ContainerResource c)
    {
        var node = new JsonObject
        {
            ["type"] = "container.v0",
            ["connectionString"] = c.ConnectionString,
            ["image"] = c.Image,
        };
        if (c.VolumeTarget is not null)
        {
            node["volumes"] = new JsonArray(new JsonObject
            {
                ["name"] = $"sessionbuddy-{c.Name}-data",
                ["target"] = c.VolumeTarget,
                ["readOnly"] = false,
            });
        }
        node["env"] = Env(c.Environment);
        node["bindings"] = Bindings(c.Bindings);
        return node;
    }

    private static JsonObject Project(ProjectResource p, string manifestDirectory) => new()
    {
        ["type"] = "project.v0",
        ["path"] = Path.GetRelativePath(manifestDirectory, p.Location.ProjectPath).Replace('\\', '/'),
        ["env"] = Env(p.Environment),
        ["bindings"] = Bindings(p.Bindings),
    };

    private static JsonObject Env(IReadOnlyDictionary<string, string> env)
    {
        var node = new JsonObject();
        foreach (var (key, value) in env)
        {
            node[key] = value;
        }
        return node;
    }

    private static JsonObject Bindings(IReadOnlyList<Binding> bindings)
    {
        var node = new JsonObject();
        foreach (var b in bindings)
        {
            var binding = new JsonObject { ["scheme"] = b.Scheme, ["protocol"] = "tcp", ["transport"] = b.Transport };
            if (b.TargetPort is { } port)
            {
                binding["targetPort"] = port;
            }
            if (b.External)
            {
                binding["external"] = true;
            }
            node[b.Name] = binding;
        }
        return node;
    }
}
