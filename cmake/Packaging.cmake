# Packaging: install rules for the systemd unit, man pages, examples and Debian metadata, the
# CPack DEB generator, and the CTest tests that check the unit and the package.
# Included from the root CMakeLists.txt after the targets are defined.

include(GNUInstallDirs)
find_package(PkgConfig REQUIRED)

set(TRUSTGATE_PACKAGE_MAINTAINER "trustgate maintainers <trustgate@example.org>"
    CACHE STRING "Maintainer field of the Debian package")
set(TRUSTGATE_PACKAGE_RELEASE "1" CACHE STRING "Debian revision of the package")

# Debian (bookworm) keeps system units in /lib/systemd/system; ask systemd.pc when present.
pkg_get_variable(_tg_systemd_unitdir systemd systemdsystemunitdir)
if(NOT _tg_systemd_unitdir)
  set(_tg_systemd_unitdir "/lib/systemd/system")
endif()
set(TRUSTGATE_SYSTEMD_UNITDIR "${_tg_systemd_unitdir}"
    CACHE PATH "Where the systemd unit is installed")

set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(_tg_pkg_dir "${CMAKE_BINARY_DIR}/packaging")
set(_tg_docdir "${CMAKE_INSTALL_DATADIR}/doc/trustgate")

# --- systemd unit ---------------------------------------------------------------------------
install(FILES "${PROJECT_SOURCE_DIR}/systemd/trustgated.service"
        DESTINATION "${TRUSTGATE_SYSTEMD_UNITDIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# --- man pages, compressed at build time (gzip -9n: reproducible, as lintian expects) -------
file(GLOB _tg_man_sources CONFIGURE_DEPENDS
     "${PROJECT_SOURCE_DIR}/docs/man/*.[1-8]")
set(_tg_man_outputs)
foreach(_page IN LISTS _tg_man_sources)
  get_filename_component(_name "${_page}" NAME)
  string(REGEX REPLACE "^.*\\.([1-8])$" "\\1" _section "${_name}")
  set(_out "${_tg_pkg_dir}/man/man${_section}/${_name}.gz")
  add_custom_command(
    OUTPUT "${_out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${_tg_pkg_dir}/man/man${_section}"
    COMMAND sh -c "gzip -9nc \"$1\" > \"$2\"" gzip "${_page}" "${_out}"
    DEPENDS "${_page}"
    COMMENT "Compressing man page ${_name}"
    VERBATIM)
  list(APPEND _tg_man_outputs "${_out}")
  install(FILES "${_out}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${_section}"
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
add_custom_target(trustgate_man_pages ALL DEPENDS ${_tg_man_outputs})

# --- example configurations -----------------------------------------------------------------
# No config is installed in /etc: a working one names the site's directory servers, and a
# demo config would serve demo data. The admin copies an example to
# /etc/trustgate/trustgate.toml (see trustgate.conf(5)).
if(EXISTS "${PROJECT_SOURCE_DIR}/conf")
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/conf/" DESTINATION "${_tg_docdir}/examples"
          FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
          DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                WORLD_READ WORLD_EXECUTE)
endif()

# --- Debian metadata: copyright and changelog.Debian.gz ---------------------------------------
string(TIMESTAMP _tg_year "%Y" UTC)
string(TIMESTAMP _tg_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)  # honours SOURCE_DATE_EPOCH
file(WRITE "${_tg_pkg_dir}/copyright"
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: trustgate
Upstream-Contact: ${TRUSTGATE_PACKAGE_MAINTAINER}

Files: *
Copyright: ${_tg_year} The trustgate authors
License: proprietary
 All rights reserved. Distribution terms are set by the trustgate authors.
")
file(WRITE "${_tg_pkg_dir}/changelog.Debian"
"trustgate (${PROJECT_VERSION}-${TRUSTGATE_PACKAGE_RELEASE}) unstable; urgency=medium

  * Release ${PROJECT_VERSION}.

 -- ${TRUSTGATE_PACKAGE_MAINTAINER}  ${_tg_changelog_date}
")
add_custom_command(
  OUTPUT "${_tg_pkg_dir}/changelog.Debian.gz"
  COMMAND sh -c "gzip -9nc \"$1\" > \"$2\"" gzip "${_tg_pkg_dir}/changelog.Debian"
          "${_tg_pkg_dir}/changelog.Debian.gz"
  DEPENDS "${_tg_pkg_dir}/changelog.Debian"
  VERBATIM)
add_custom_target(trustgate_changelog ALL DEPENDS "${_tg_pkg_dir}/changelog.Debian.gz")
install(FILES "${_tg_pkg_dir}/copyright" "${_tg_pkg_dir}/changelog.Debian.gz"
        DESTINATION "${_tg_docdir}"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# --- CPack: one Debian package ----------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "trustgate")
set(CPACK_PACKAGE_VENDOR "trustgate")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${TRUSTGATE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_NAME "trustgate")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE "${TRUSTGATE_PACKAGE_RELEASE}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TRUSTGATE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"directory-driven access and MIS handoff service for school trusts
trustgate syncs staff and groups from Active Directory, OpenLDAP or LDIF
files, maps groups to business roles, clusters and school associations
through configured rules, and keeps an authoritative access table in
SQLite. Its local HTTP API issues and redeems one-time handoff tickets, so
that staff of a multi-academy trust or local authority can move from the
central MIS site to exactly the schools they are associated with.
.
The package holds the trustgated daemon with its hardened systemd unit,
the trustgatectl administration tool, manual pages and example
configurations.")
include(CPack)

# --- tests ------------------------------------------------------------------------------------
# The unit file: systemd-analyze verify, and the sandbox exposure score (a property of the file).
add_test(NAME systemd_unit_verify
         COMMAND sh "${PROJECT_SOURCE_DIR}/tests/packaging/systemd_unit_test.sh"
                 "${PROJECT_SOURCE_DIR}" "$<TARGET_FILE:trustgated>")
set_tests_properties(systemd_unit_verify PROPERTIES LABELS unit)
# The man pages: groff renders them without warnings.
add_test(NAME man_pages_lint
         COMMAND sh "${PROJECT_SOURCE_DIR}/tests/packaging/man_pages_test.sh" "${PROJECT_SOURCE_DIR}")
set_tests_properties(man_pages_lint PROPERTIES LABELS unit)
# The package: cpack -G DEB from this build, unpacked and checked, then lintian (no errors).
add_test(NAME deb_package
         COMMAND sh "${PROJECT_SOURCE_DIR}/tests/packaging/deb_package_test.sh"
                 "${PROJECT_SOURCE_DIR}" "${CMAKE_BINARY_DIR}")
set_tests_properties(deb_package PROPERTIES LABELS e2e TIMEOUT 900)
