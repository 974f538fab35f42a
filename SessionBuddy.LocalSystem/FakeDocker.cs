namespace SessionBuddy.LocalSystem;

/// <summary>
/// A stand-in for the docker CLI (no engine runs here): a bash script that appends each call's argv to
/// <see cref="CallsLog"/> and answers the subset the container backend uses (inspect, exec realpath/stat/
/// cat/mkdir/find, cp, and run: the command runs in the mounted workspace on the host) like docker would, with each container's file system under
/// <c>{Directory}/containers/{name}/</c>. A container is running while that directory exists and
/// <c>{name}.stopped</c> does not; a missing container answers as docker does ("No such object").
/// </summary>
public sealed class FakeDocker : IDisposable
{
    private const string Script = """
        #!/bin/bash
        here="$(cd "$(dirname "$0")" && pwd)"
        printf '%s\n' "$*" >> "$here/calls.log"
        cmd="$1"; shift
        case "$cmd" in
          inspect)
            name="${@: -1}"
            if [ ! -d "$here/containers/$name" ]; then echo "Error: No such object: $name" >&2; exit 1; fi
            if [ -e "$here/containers/$name.stopped" ]; then echo false; else echo true; fi ;;
          exec)
            name="$1"; shift
            root="$here/containers/$name"
            if [ ! -d "$root" ]; then echo "Error response from daemon: No such container: $name" >&2; exit 1; fi
            if [ -e "$root.stopped" ]; then echo "Error response from daemon: container $name is not running" >&2; exit 1; fi
            prog="$1"; shift
            args=()
            for a in "$@"; do
              if [[ "$a" == /* ]]; then args+=("$root$a"); else args+=("$a"); fi
            done
            case "$prog" in
              realpath)
                out="$(realpath "${args[@]}")" || exit $?
                if [[ "$out" == "$root"* ]]; then out="${out#$root}"; fi
                echo "${out:-/}" ;;
              stat|cat|base64|mkdir|find) exec "$prog" "${args[@]}" ;;
              *) echo "OCI runtime exec failed: exec: \"$prog\": executable file not found in \$PATH" >&2; exit 126 ;;
            esac ;;
          run)
            # run [--rm] [-v host:ctr] [-w dir] [-e K=V] IMAGE CMD...: the command runs in the mounted workspace.
            ws=""
            while [ $# -gt 0 ]; do
              case "$1" in
                --rm) shift ;;
                -v) ws="${2%%:*}"; shift 2 ;;
                -w|-e) shift 2 ;;
                *) break ;;
              esac
            done
            shift
            cd "${ws:-$here}" && exec "$@" ;;
          cp)
            src="$1"; dest="$2"; name="${dest%%:*}"; path="${dest#*:}"
            if [ ! -d "$here/containers/$name" ]; then echo "Error response from daemon: No such container: $name" >&2; exit 1; fi
            cp -- "$src" "$here/containers/$name$path" ;;
          *) echo "docker: '$cmd' is not a docker command." >&2; exit 1 ;;
        esac
        """;

    public FakeDocker()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("fake-docker-").FullName;
        Executable = Path.Combine(Directory, "docker");
        File.WriteAllText(Executable, Script.ReplaceLineEndings("\n") + "\n");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the fake docker CLI is a bash script");
        }
        File.SetUnixFileMode(Executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    public string Directory { get; }

    public string Executable { get; }

    public string CallsLog => Path.Combine(Directory, "calls.log");

    public IReadOnlyList<string> Calls => File.Exists(CallsLog) ? File.ReadAllLines(CallsLog) : [];

    /// <summary>The host directory that is "/" inside the container.</summary>
    public string AddContainer(string name)
    {
        var root = Path.Combine(Directory, "containers", name);
        System.IO.Directory.CreateDirectory(root);
        return root;
    }

    public void Stop(string name) => File.WriteAllText(Path.Combine(Directory, "containers", name + ".stopped"), "");

    public void Start(string name) => File.Delete(Path.Combine(Directory, "containers", name + ".stopped"));

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
