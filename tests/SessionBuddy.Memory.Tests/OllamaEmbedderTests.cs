using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionBuddy.Memory.Embeddings;

namespace SessionBuddy.Memory.Tests;

/// <summary>Against a local HTTP server that answers <c>/api/embed</c> the way Ollama does.</summary>
public class OllamaEmbedderTests
{
    private WebApplication _ollama = null!;
    private readonly List<JsonNode> _requests = [];
    private Uri _endpoint = null!;

    [OneTimeSetUp]
    public async Task StartFakeOllama()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        _ollama = builder.Build();
        _ollama.MapPost("/api/embed", async (HttpContext http) =>
        {
            var body = (await JsonNode.ParseAsync(http.Request.Body))!;
            lock (_requests)
            {
                _requests.Add(body);
            }
            var model = body["model"]!.GetValue<string>();
            if (model != "nomic-embed-text")
            {
                http.Response.StatusCode = 404;
                await http.Response.WriteAsJsonAsync(new { error = $"model \"{model}\" not found, try pulling it first" });
                return;
            }
            // Ollama accepts a string or an array; the reply always carries one vector per input.
            var inputs = body["input"] is JsonArray array ? array.Select(i => i!.GetValue<string>()).ToList() : [body["input"]!.GetValue<string>()];
            var local = new LocalEmbedder(8);
            await http.Response.WriteAsJsonAsync(new
            {
                model,
                embeddings = inputs.Select(local.Embed).ToArray(),
                total_duration = 14143917,
                load_duration = 1019500,
                prompt_eval_count = inputs.Count * 4,
            });
        });
        await _ollama.StartAsync();
        var address = _ollama.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _endpoint = new Uri(address);
    }

    [OneTimeTearDown]
    public async Task StopFakeOllama() => await _ollama.DisposeAsync();

    [Test]
    public async Task Posts_model_and_inputs_and_reads_one_vector_per_input()
    {
        using var http = new HttpClient();
        var embedder = new OllamaEmbedder(http, OllamaConnection.Parse($"Endpoint={_endpoint};Model=nomic-embed-text"));

        var result = await embedder.GenerateAsync(["first text", "second text"]);

        Assert.That(result, Has.Count.EqualTo(2));
        Assert.That(result[0].Vector.ToArray(), Is.EqualTo(new LocalEmbedder(8).Embed("first text")));
        Assert.That(result.Usage?.InputTokenCount, Is.EqualTo(8));
        var request = _requests.Last();
        Assert.That(request["model"]!.GetValue<string>(), Is.EqualTo("nomic-embed-text"));
        Assert.That(request["input"]!.AsArray().Select(i => i!.GetValue<string>()), Is.EqualTo(new[] { "first text", "second text" }));
    }

    [Test]
    public void Unknown_model_is_reported_as_unavailable()
    {
        using var http = new HttpClient();
        var embedder = new OllamaEmbedder(http, OllamaConnection.Parse($"Endpoint={_endpoint};Model=no-such-model"));

        var error = Assert.ThrowsAsync<EmbeddingUnavailableException>(() => embedder.GenerateAsync(["text"]));
        Assert.That(error!.Message, Does.Contain("404").And.Contain("no-such-model"));
    }

    [Test]
    public void Server_down_is_reported_as_unavailable()
    {
        using var http = new HttpClient();
        var embedder = new OllamaEmbedder(http, OllamaConnection.Parse($"Endpoint=http://127.0.0.1:{FreePort()};Model=nomic-embed-text"));

        Assert.ThrowsAsync<EmbeddingUnavailableException>(() => embedder.GenerateAsync(["text"]));
    }

    [Test]
    public void Connection_string_defaults_the_model()
    {
        var connection = OllamaConnection.Parse("Endpoint=http://10.0.0.5:11434");
        Assert.That(connection.Model, Is.EqualTo("nomic-embed-text"));
        Assert.That(connection.Endpoint, Is.EqualTo(new Uri("http://10.0.0.5:11434")));
        Assert.Throws<InvalidOperationException>(() => OllamaConnection.Parse("Model=x"));
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
