# A stand-in for mcr.microsoft.com/dotnet/aspnet:10.0 where no registry answers: Debian 12, the
# dotnet host and the .NET and ASP.NET Core runtimes this machine has (the build context is its
# dotnet folder; the version is a build argument). Built by local-images.sh.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
ARG RUNTIME_VERSION
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libc6 libgcc-s1 libicu72 libssl3 libstdc++6 tzdata zlib1g \
    && rm -rf /var/lib/apt/lists/*
COPY dotnet LICENSE.txt ThirdPartyNotices.txt /usr/share/dotnet/
COPY host/ /usr/share/dotnet/host/
COPY shared/Microsoft.NETCore.App/${RUNTIME_VERSION}/ /usr/share/dotnet/shared/Microsoft.NETCore.App/${RUNTIME_VERSION}/
COPY shared/Microsoft.AspNetCore.App/${RUNTIME_VERSION}/ /usr/share/dotnet/shared/Microsoft.AspNetCore.App/${RUNTIME_VERSION}/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_RUNNING_IN_CONTAINER=true ASPNETCORE_HTTP_PORTS=8080
