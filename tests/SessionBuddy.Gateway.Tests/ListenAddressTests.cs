using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using SessionBuddy.Gateway.Security;
using SessionBuddy.LocalSystem;
using SessionBuddy.LocalSystem.Hosting;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.Gateway.Tests;

/// <summary>
/// The gateway process as a published manifest starts it: HTTP_PORTS (no ASPNETCORE_URLS) means every address, so
/// without authentication it refuses to start, and with it it serves on the machine's network addresses. With no
/// address configured it serves open on loopback and its start-up line says so.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(240_000)]
public sealed class ListenAddressTests
{
    private InfrastructureFixture _infrastructure = null!;

    [OneTimeSetUp]
    public async Task StartBroker() => _infrastructure = await InfrastructureFixture.CreateAsync();

    [OneTimeTearDown]
    public async Task StopBroker() => await _infrastructure.DisposeAsync();

    private static ProcessStartInfo Gateway(int port, Dictionary<string, string> settings, bool httpPorts = true)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ProjectLocation.For(SessionBuddyResources.Gateway).AssemblyPath);
        foreach (var key in start.Environment.Keys.Where(k => k.Contains("URLS", StringComparison.OrdinalIgnoreCase)
                     || k.Contains("PORTS", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Auth__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("Gateway__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment[httpPorts ? "HTTP_PORTS" : "Gateway__Port"] = port.ToString();
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }
        return start;
    }

    [Test]
    public async Task WithHttpPortsAndNoAuthenticationTheGatewayRefusesToStartAndSaysHowToConfigure()
    {
        var port = FreePort.Allocate();
        using var process = Process.Start(Gateway(port, new() { ["ConnectionStrings__messaging"] = _infrastructure.MessagingConnectionString }))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the gateway started on HTTP_PORTS={port} without authentication");
        }

        Assert.That(process.ExitCode, Is.Not.EqualTo(0));
        var text = await output + await error;
        Assert.That(text, Does.Contain($"http://*:{port}").And.Contain("no authentication is configured").And.Contain(GatewayAuthentication.HowToConfigure));
        Assert.That(await FreePort.AcceptsConnectionsAsync(port, CancellationToken.None), Is.False);
    }

    [Test]
    public async Task WithHttpPortsAndAuthenticationTheGatewayServesOnEveryAddress()
    {
        var network = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assume.That(network, Is.Not.Null, "this machine has no non-loopback IPv4 address to call the gateway on");

        var port = FreePort.Allocate();
        using var process = StartGateway(port, new()
        {
            ["ConnectionStrings__messaging"] = _infrastructure.MessagingConnectionString,
            ["Auth__Secret"] = TestTokens.Secret,
            ["Auth__Issuers__0"] = TestTokens.Issuer,
            ["Auth__Audience"] = TestTokens.Audience,
            ["Mcp__AllowedHosts__0"] = network!.ToString(),
        }, httpPorts: true, out var started);
        try
        {
            var startLine = await started.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.That(startLine, Does.Contain($"http://[::]:{port}/mcp").And.Contain("authentication ON"));

            // Reached on a network address, the endpoint asks for a token.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            using var response = await http.PostAsync($"http://{network}:{port}/mcp",
                new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}""", Encoding.UTF8, "application/json"));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.Single().Scheme, Is.EqualTo("Bearer"));
            using var request = RawMcp.Post(new Uri($"http://{network}:{port}/mcp"), RawMcp.Initialize(1));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestTokens.Valid("read"));
            using var served = await http.SendAsync(request);
            Assert.That(served.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Starts the gateway process; <paramref name="started"/> completes with its "serving MCP at" line.</summary>
    private static Process StartGateway(int port, Dictionary<string, string> settings, bool httpPorts, out Task<string> started)
    {
        var lines = new StringBuilder();
        var startLine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = Gateway(port, settings, httpPorts) };
        void OnLine(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }
            lock (lines)
            {
                lines.AppendLine(e.Data);
            }
            if (e.Data.Contains("serving MCP at", StringComparison.Ordinal))
            {
                startLine.TrySetResult(e.Data);
            }
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.Exited += (_, _) => startLine.TrySetException(new InvalidOperationException("the gateway exited:\n" + lines));
        process.EnableRaisingEvents = true;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        started = startLine.Task;
        return process;
    }

    [Test]
    public async Task WithoutAnyAddressOrAuthenticationTheGatewayServesOpenOnLoopbackAndSaysSo()
    {
        var port = FreePort.Allocate();
        using var process = StartGateway(port, new() { ["ConnectionStrings__messaging"] = _infrastructure.MessagingConnectionString },
            httpPorts: false, out var started);
        try
        {
            var startLine = await started.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.That(startLine, Does.Contain($"http://127.0.0.1:{port}/mcp")
                .And.Contain("authentication OFF: open to every local process because it listens on loopback only")
                .And.Contain(GatewayAuthentication.HowToConfigure));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            using var response = await http.SendAsync(RawMcp.Post(new Uri($"http://127.0.0.1:{port}/mcp"), RawMcp.Initialize(1)));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "open: served without a token");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
