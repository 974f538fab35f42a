using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using SessionBuddy.ServiceDefaults.Configuration;

namespace SessionBuddy.Gateway.Security;

/// <summary>
/// <c>SessionBuddy.Gateway token --scopes read,write [--project p]... [--subject name] [--hours 8]</c>: prints an
/// HS256 token signed with the configured Auth:Secret, for local use and tests.
/// </summary>
public static class TokenCommand
{
    public const string Name = "token";

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == Name;

    /// <summary>Reads Auth settings as the gateway does (appsettings.json, then environment variables such as Auth__Secret).</summary>
    public static int Run(string[] args) => Run(args,
        new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables().Build(),
        Console.Out, Console.Error);

    public static int Run(string[] args, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        AuthOptions settings;
        try
        {
            settings = configuration.GetValidatedOptions<AuthOptions>(AuthOptions.SectionName);
        }
        catch (OptionsValidationException invalid)
        {
            error.WriteLine($"token: {invalid.Message}");
            return 2;
        }
        if (string.IsNullOrEmpty(settings.Secret))
        {
            error.WriteLine("token: Auth:Secret is not configured (set Auth__Secret); tokens for RS256/ES256 come from your identity provider.");
            return 2;
        }
        string[] scopes = [.. Values(args, "--scopes").SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
        var unknown = scopes.Except(Enum.GetValues<ToolScope>().Select(Caller.ScopeName)).ToList();
        if (scopes.Length == 0 || unknown.Count > 0)
        {
            error.WriteLine($"token: --scopes takes a comma-separated list of read, write, execute, admin{(unknown.Count > 0 ? $" (unknown: {string.Join(", ", unknown)})" : "")}.");
            return 2;
        }
        if (!double.TryParse(Values(args, "--hours").LastOrDefault() ?? "8", System.Globalization.CultureInfo.InvariantCulture, out var hours) || hours <= 0)
        {
            error.WriteLine("token: --hours must be a positive number.");
            return 2;
        }
        output.WriteLine(Issue(settings, Values(args, "--subject").LastOrDefault() ?? Environment.UserName, scopes, [.. Values(args, "--project")], TimeSpan.FromHours(hours)));
        return 0;
    }

    /// <summary>A token as the gateway expects it: sub, scope (space-separated), projects, the configured first issuer and audience.</summary>
    public static string Issue(AuthOptions settings, string subject, IEnumerable<string> scopes, IReadOnlyList<string> projects, TimeSpan lifetime)
    {
        var claims = new List<Claim> { new("sub", subject), new("scope", string.Join(' ', scopes)) };
        claims.AddRange(projects.Select(project => new Claim("projects", project)));
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = settings.AcceptedIssuers[0],
            Audience = settings.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes(settings.Secret!)), SecurityAlgorithms.HmacSha256),
        });
    }

    private static IEnumerable<string> Values(string[] args, string option)
    {
        for (var i = 1; i < args.Length - 1; i++)
        {
            if (args[i] == option)
            {
                yield return args[i + 1];
            }
        }
    }
}
