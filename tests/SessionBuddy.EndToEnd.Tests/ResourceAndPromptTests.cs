using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>Resources, prompts and completions, which clients show to people, through the real gateway.</summary>
[TestFixture]
public sealed class ResourceAndPromptTests
{
    [TestCase(null)]
    [TestCase("2025-11-25")]
    public async Task AnEndedSessionsDocumentsAreResources(string? protocolVersion)
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri, protocolVersion);
        var workingDirectory = Directory.CreateTempSubdirectory("sb-resources-").FullName;
        var started = await tools.CallOkAsync("start", new { working_directory = workingDirectory, project = "resources-e2e" });
        var sessionId = started.GetProperty("id").GetString()!;
        await tools.CallOkAsync("add_message", new { session_id = sessionId, role = "user", content = "Ship the resource templates" });
        await tools.CallOkAsync("session_write_file", new { session_id = sessionId, path = "notes/plan.txt", content = "step one\nstep two" });
        await tools.CallOkAsync("end", new { session_id = sessionId, summary = "Templates shipped; TODO: pagination docs" });

        var templates = await tools.Mcp.ListResourceTemplatesAsync();
        Assert.That(templates.Select(t => t.UriTemplate), Is.SupersetOf(new[]
        {
            "sessionbuddy://sessions/{session_id}/handoff",
            "sessionbuddy://sessions/{session_id}/log",
            "sessionbuddy://sessions/{session_id}/export/{format}",
            "sessionbuddy://sessions/{session_id}/files/{+path}",
        }));

        var listed = await tools.Mcp.ListResourcesAsync();
        Assert.That(listed.Select(r => r.Uri), Does.Contain($"sessionbuddy://sessions/{sessionId}/handoff"));

        var handoff = Text(await tools.Mcp.ReadResourceAsync($"sessionbuddy://sessions/{sessionId}/handoff"));
        Assert.That(handoff, Does.Contain("pagination docs"));
        Assert.That(Text(await tools.Mcp.ReadResourceAsync($"sessionbuddy://sessions/{sessionId}/export/markdown")), Does.Contain("Ship the resource templates"));
        Assert.That(Text(await tools.Mcp.ReadResourceAsync($"sessionbuddy://sessions/{sessionId}/export/json")), Does.Contain("\"messages\""));
        Assert.That(Text(await tools.Mcp.ReadResourceAsync($"sessionbuddy://sessions/{sessionId}/log")), Does.Contain("completed"));
        Assert.That(Text(await tools.Mcp.ReadResourceAsync($"sessionbuddy://sessions/{sessionId}/files/notes/plan.txt")), Is.EqualTo("step one\nstep two"));
    }

    [Test]
    public async Task BinaryWorkspaceFilesAreBlobs()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var session = await tools.CallOkAsync("create_session", new { name = "binary resource" });
        var sessionId = session.GetProperty("id").GetString()!;
        var bytes = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0x10 };
        await File.WriteAllBytesAsync(Path.Combine(session.GetProperty("workspace_dir").GetString()!, "image.png"), bytes);

        var contents = (await tools.Mcp.ReadResourceAsync($"sessionbuddy://sessions/{sessionId}/files/image.png")).Contents.Single();
        Assert.That(contents, Is.InstanceOf<BlobResourceContents>());
        Assert.That(((BlobResourceContents)contents).DecodedData.ToArray(), Is.EqualTo(bytes));
    }

    [TestCase("sessionbuddy://sessions/{0}/files/../../../etc/passwd", "path")]
    [TestCase("sessionbuddy://sessions/{0}/files/%2E%2E/%2E%2E/etc/passwd", "path")]
    [TestCase("sessionbuddy://sessions/not-a-uuid/log", "session_id")]
    [TestCase("sessionbuddy://sessions/00000000-0000-0000-0000-000000000001/log", "session")]
    [TestCase("sessionbuddy://sessions/{0}/export/pdf", "format")]
    [TestCase("sessionbuddy://sessions/{0}/handoff", "end the session")]
    public async Task HostileOrUnknownUrisAreClearErrors(string uriPattern, string expected)
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var session = await tools.CallOkAsync("create_session", new { name = "hostile uris" });
        var uri = string.Format(uriPattern, session.GetProperty("id").GetString());

        var error = Assert.ThrowsAsync<McpProtocolException>(async () => await tools.Mcp.ReadResourceAsync(uri));
        Assert.That(error!.Message, Does.Contain(expected));
    }

    [Test]
    public async Task PromptsAreFilledInAndArgumentsComplete()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var prompts = await tools.Mcp.ListPromptsAsync();
        Assert.That(prompts.Select(p => p.Name), Is.SupersetOf(new[] { "start_session", "checkpoint", "handoff", "recall" }));

        var project = "recall-" + Guid.NewGuid().ToString("N")[..6];
        await tools.CallOkAsync("store_reflection", new { content = "Kestrel answers 413 when a chunked body outgrows MaxRequestBodySize", project });
        var recall = await tools.Mcp.GetPromptAsync("recall", new Dictionary<string, object?> { ["topic"] = "chunked body too large", ["project"] = project });
        Assert.That(PromptText(recall), Does.Contain("Kestrel answers 413"));

        var session = await tools.CallOkAsync("create_session", new { name = "prompted", project });
        var sessionId = session.GetProperty("id").GetString()!;
        Assert.That(PromptText(await tools.Mcp.GetPromptAsync("checkpoint", new Dictionary<string, object?> { ["session_id"] = sessionId })),
            Does.Contain(sessionId).And.Contain("checkpoint"));
        Assert.ThrowsAsync<McpProtocolException>(async () =>
            await tools.Mcp.GetPromptAsync("checkpoint", new Dictionary<string, object?> { ["session_id"] = "nope" }));

        var sessionIds = await tools.Mcp.CompleteAsync(new PromptReference { Name = "checkpoint" }, "session_id", sessionId[..8]);
        Assert.That(sessionIds.Completion.Values, Does.Contain(sessionId));
        var projects = await tools.Mcp.CompleteAsync(new ResourceTemplateReference { Uri = "sessionbuddy://sessions/{session_id}/log" }, "project", project[..7]);
        Assert.That(projects.Completion.Values, Does.Contain(project));
    }

    private static string Text(ReadResourceResult result) =>
        string.Concat(result.Contents.OfType<TextResourceContents>().Select(c => c.Text));

    private static string PromptText(GetPromptResult result) =>
        string.Concat(result.Messages.Select(m => m.Content).OfType<TextContentBlock>().Select(t => t.Text));
}
