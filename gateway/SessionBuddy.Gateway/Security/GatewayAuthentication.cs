using System.Net;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using ModelContextProtocol.AspNetCore.Authentication;
using ModelContextProtocol.Authentication;
using SessionBuddy.ServiceDefaults.Configuration;

namespace SessionBuddy.Gateway.Security;

/// <summary>
/// Bearer-token authentication of the MCP endpoint (JwtBearer validates, the SDK's MCP handler answers
/// 401 with <c>WWW-Authenticate: Bearer resource_metadata=...</c> and serves the RFC 9728 document), or
/// none on loopback. Any other bind address without authentication refuses to start.
/// </summary>
public static class GatewayAuthentication
{
    public static readonly string[] Algorithms =
        [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];

    public static readonly string HowToConfigure =
        $"Set Auth__Secret (HS256 shared secret, at least {AuthOptions.MinimumSecretBytes} bytes) or Auth__JwksUrl / Auth__JwksFile " +
        "(RS256/ES256 public keys), or bind the gateway to 127.0.0.1. See docs/security.md.";

    /// <summary>
    /// Registers authentication when configured; throws with <see cref="HowToConfigure"/> when the gateway would be open
    /// to the network. The "Auth" settings decide which services exist, so they are read (and checked) here.
    /// </summary>
    public static AuthOptions AddGatewayAuthentication(this IServiceCollection services, IConfiguration configuration, IEnumerable<string> listenUrls)
    {
        var settings = configuration.GetValidatedOptions<AuthOptions>(AuthOptions.SectionName);
        services.AddValidatedOptions<AuthOptions>(AuthOptions.SectionName);
        services.AddSingleton(settings);
        if (!settings.IsConfigured)
        {
            var exposed = listenUrls.Where(url => !IsLoopback(url)).ToList();
            if (exposed.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The gateway would listen on {string.Join(", ", exposed)}, which is not a loopback address, and no authentication is configured. {HowToConfigure}");
            }
            return settings;
        }
        services.AddAuthentication(options =>
            {
                options.DefaultAuthenticateScheme = JwtBearerDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = McpAuthenticationDefaults.AuthenticationScheme;
            })
            .AddJwtBearer(options => ConfigureBearer(options, settings))
            .AddMcp(options => options.ResourceMetadata = new ProtectedResourceMetadata
            {
                AuthorizationServers = [.. settings.AcceptedIssuers],
                ScopesSupported = [.. Enum.GetValues<ToolScope>().Select(Caller.ScopeName)],
                ResourceName = "SessionBuddy MCP gateway",
            });
        services.AddAuthorization();
        return settings;
    }

    /// <summary>
    /// With authentication configured, every request to the MCP endpoint needs a valid bearer token. Rate
    /// limits (when registered) apply after authentication, so that they know the token, and before the
    /// refusal of a missing one, so that a flood of bad tokens is limited per address too.
    /// </summary>
    public static void RequireGatewayAuthentication(this WebApplication app, IEndpointConventionBuilder mcpEndpoint)
    {
        var configured = app.Services.GetRequiredService<AuthOptions>().IsConfigured;
        if (configured)
        {
            app.UseAuthentication();
        }
        if (app.Services.GetService<WorkerCallLimit>() is not null)
        {
            app.UseRateLimiter();
        }
        if (configured)
        {
            app.UseAuthorization();
            mcpEndpoint.RequireAuthorization();
        }
    }

    /// <summary>The start-up line: where the endpoint is and whether it is protected.</summary>
    public static string DescribeMode(AuthOptions settings) => settings.IsConfigured
        ? $"authentication ON (bearer JWT: {(string.IsNullOrEmpty(settings.Secret) ? "" : "HS256 secret")}" +
          $"{(string.IsNullOrEmpty(settings.JwksUrl) ? "" : " JWKS URL")}{(string.IsNullOrEmpty(settings.JwksFile) ? "" : " JWKS file")}; " +
          $"issuers {string.Join(", ", settings.AcceptedIssuers)}, audience {settings.Audience})"
        : "authentication OFF: open to every local process because it listens on loopback only. " + HowToConfigure;

    public static bool IsLoopback(string url)
    {
        // Kestrel's wildcards (*, +, 0.0.0.0, [::]) and host names other than localhost listen beyond this machine.
        var host = url.Replace("://*", "://wildcard", StringComparison.Ordinal).Replace("://+", "://wildcard", StringComparison.Ordinal);
        if (!Uri.TryCreate(host, UriKind.Absolute, out var uri))
        {
            return false;
        }
        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }

    private static void ConfigureBearer(JwtBearerOptions options, AuthOptions settings)
    {
        options.MapInboundClaims = false;
        options.RequireHttpsMetadata = false;
        var parameters = new TokenValidationParameters
        {
            ValidIssuers = settings.AcceptedIssuers,
            ValidAudience = settings.Audience,
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = "sub",
            RoleClaimType = "roles",
        };
        if (!string.IsNullOrEmpty(settings.Secret))
        {
            parameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(settings.Secret));
        }
        options.TokenValidationParameters = parameters;

        // Public keys are re-read when a token names an unknown key id (rotation; at most every 5 minutes, the first
        // time at once; the token that asked is refused, the next ones see the new set) and every 12 hours.
        if (!string.IsNullOrEmpty(settings.JwksUrl))
        {
            options.ConfigurationManager = KeySetManager(
                settings.JwksUrl, new HttpDocumentRetriever { RequireHttps = settings.JwksUrl.StartsWith("https:", StringComparison.OrdinalIgnoreCase) });
        }
        else if (!string.IsNullOrEmpty(settings.JwksFile))
        {
            options.ConfigurationManager = KeySetManager(Path.GetFullPath(settings.JwksFile), new FileDocumentRetriever());
        }
    }

    /// <summary>
    /// A key removed from the set is refused once the set is re-read: no fallback to the last known good set, which
    /// would keep a withdrawn (perhaps compromised) key valid for another hour.
    /// </summary>
    private static ConfigurationManager<OpenIdConnectConfiguration> KeySetManager(string address, IDocumentRetriever retriever) =>
        new(address, new JwksRetriever(), retriever) { UseLastKnownGoodConfiguration = false };

    /// <summary>Reads a bare JSON Web Key Set (not an OpenID discovery document) as the signing keys.</summary>
    private sealed class JwksRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            var keys = new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel));
            var configuration = new OpenIdConnectConfiguration { JsonWebKeySet = keys };
            foreach (var key in keys.GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }
            return configuration;
        }
    }
}
