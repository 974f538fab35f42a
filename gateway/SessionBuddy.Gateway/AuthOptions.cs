using System.ComponentModel.DataAnnotations;
using System.Text;
using SessionBuddy.Gateway.Security;

namespace SessionBuddy.Gateway;

/// <summary>
/// How callers prove who they are, bound from configuration section "Auth". Authentication is on when a
/// shared secret (HS256) or public keys (RS256/ES256, from a JWKS URL or file) are configured.
/// </summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string SectionName = "Auth";

    public const int MinimumSecretBytes = 32;

    /// <summary>HS256 shared secret, at least 32 bytes (UTF-8). Prefer the environment variable Auth__Secret.</summary>
    public string? Secret { get; set; }

    /// <summary>URL of a JSON Web Key Set (an authorization server's jwks_uri) for RS256/ES256 tokens.</summary>
    public string? JwksUrl { get; set; }

    /// <summary>A local JSON Web Key Set file for RS256/ES256 tokens.</summary>
    public string? JwksFile { get; set; }

    /// <summary>Accepted token issuers (iss); also published as authorization_servers in the resource metadata. Default "sessionbuddy".</summary>
    /// <remarks>Empty by default: the configuration binder appends to an array's initial items instead of replacing them.</remarks>
    public string[] Issuers { get; set; } = [];

    public IReadOnlyList<string> AcceptedIssuers => Issuers.Length > 0 ? Issuers : [DefaultIssuer];

    /// <summary>The audience (aud) tokens must be issued for.</summary>
    public string Audience { get; set; } = DefaultAudience;

    public const string DefaultIssuer = "sessionbuddy";
    public const string DefaultAudience = "sessionbuddy-gateway";

    public bool IsConfigured =>
        !string.IsNullOrEmpty(Secret) || !string.IsNullOrEmpty(JwksUrl) || !string.IsNullOrEmpty(JwksFile);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(Secret) && Encoding.UTF8.GetByteCount(Secret) < MinimumSecretBytes)
        {
            yield return new ValidationResult(
                $"is shorter than {MinimumSecretBytes} bytes. {GatewayAuthentication.HowToConfigure}", [nameof(Secret)]);
        }
    }
}
