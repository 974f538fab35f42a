using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionBuddy.Gateway.Security;

namespace SessionBuddy.Gateway.Tests;

/// <summary>Tokens good and bad for the secured test host.</summary>
internal static class TestTokens
{
    public const string Secret = "test-secret-that-is-at-least-32-bytes-long!";
    public const string Issuer = "https://issuer.test";
    public const string Audience = "sessionbuddy-test";

    public static Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:Secret"] = Secret,
            ["Auth:Issuers:0"] = Issuer,
            ["Auth:Audience"] = Audience,
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        return settings;
    }

    public static AuthOptions Options => new() { Secret = Secret, Issuers = [Issuer], Audience = Audience };

    public static string Valid(string scopes, params string[] projects) =>
        TokenCommand.Issue(Options, "tester", scopes.Split(','), projects, TimeSpan.FromMinutes(10));

    public static string Forged(string scopes) => Signed(scopes, "another-secret-that-is-also-32-bytes-long", Issuer, Audience, DateTime.UtcNow.AddMinutes(10));

    public static string Expired(string scopes) => Signed(scopes, Secret, Issuer, Audience, DateTime.UtcNow.AddMinutes(-5));

    public static string WrongAudience(string scopes) => Signed(scopes, Secret, Issuer, "someone-else", DateTime.UtcNow.AddMinutes(10));

    public static string WrongIssuer(string scopes) => Signed(scopes, Secret, "https://evil.test", Audience, DateTime.UtcNow.AddMinutes(10));

    /// <summary>An unsigned token (alg "none") with every claim a valid one would have.</summary>
    public static string Unsigned(string scopes)
    {
        var now = DateTimeOffset.UtcNow;
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var payload = Base64UrlEncoder.Encode(
            $"{{\"sub\":\"tester\",\"scope\":\"{scopes.Replace(',', ' ')}\",\"iss\":\"{Issuer}\",\"aud\":\"{Audience}\"," +
            $"\"iat\":{now.ToUnixTimeSeconds()},\"nbf\":{now.ToUnixTimeSeconds()},\"exp\":{now.AddMinutes(10).ToUnixTimeSeconds()}}}");
        return $"{header}.{payload}.";
    }

    private static string Signed(string scopes, string secret, string issuer, string audience, DateTime expires) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", "tester"), new Claim("scope", scopes.Replace(',', ' '))]),
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expires.AddMinutes(-20),
            NotBefore = expires.AddMinutes(-20),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
        });
}
