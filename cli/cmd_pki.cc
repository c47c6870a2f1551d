// liaison pki init-ca DIR [--name CN] [--hub-name NAME ...] [--days N]
// liaison pki issue DIR --office ID [--days N]
// liaison pki revoke DIR --office ID
// liaison pki list DIR [--json]
//
// The city office's certificate authority (engine/include/liaison/pki.h): one
// directory with the CA, its revocation list, the hub's server certificate and one
// client certificate per office. Each command prints one line per file it wrote;
// a refused command writes nothing.
#include <iostream>

#include "command.h"
#include "liaison/json.h"
#include "liaison/pki.h"
#include "records.h"

namespace liaison::cli {
namespace {

constexpr int kMaxDays = 36500;

std::string Shown(const std::string& serial_hex) { return "0x" + serial_hex; }

// "wrote PATH (serial 0x.., valid until ...)" for a certificate just written.
void PrintCertificateWritten(const std::string& path) {
  CertificateInfo info = Check(ReadCertificateInfo(path));
  std::cout << "wrote " << path << " (serial " << Shown(info.serial) << ", valid until "
            << info.not_after << ")\n";
}

void RegisterInitCa(CLI::App& pki) {
  auto* cmd = pki.add_subcommand(
      "init-ca", "Create a certificate authority directory with the hub's certificate");
  auto dir = std::make_shared<std::string>();
  auto options = std::make_shared<CaOptions>();
  cmd->add_option("DIR", *dir, "Directory to create (or an empty one)")->required();
  cmd->add_option("--name", options->name, "The CA's common name")->default_val(options->name);
  cmd->add_option("--hub-name", options->hub_names,
                  "Another DNS name or IP address the hub is reached at (repeatable). "
                  "localhost and 127.0.0.1 are always included")
      ->allow_extra_args(false);
  cmd->add_option("--days", options->valid_days, "Validity of the CA and hub certificates")
      ->default_val(options->valid_days)
      ->check(CLI::Range(1, kMaxDays));
  cmd->add_option("--hub-office", options->hub_office,
                  "The hub's own office id (liaison init --office ID --hub): no office "
                  "certificate is ever issued for it")
      ->default_val(options->hub_office);
  cmd->footer(
      "Keep DIR/ca.key on the city office's machine only; hand out ca.crt, ca.crl\n"
      "and each office's own certificate and key.\n\n"
      "Example:\n"
      "  liaison pki init-ca pki --hub-name hub.city.example --hub-name 10.0.0.5");
  cmd->callback([=] {
    Check(InitCa(*dir, *options));
    const PkiPaths paths = PkiPaths::In(*dir);
    std::cout << "wrote " << paths.ca_key << "\n";
    PrintCertificateWritten(paths.ca_cert);
    std::cout << "wrote " << paths.crl << " (no revoked certificates)\n";
    std::cout << "wrote " << paths.hub_key << "\n";
    PrintCertificateWritten(paths.hub_cert);
    std::cout << "wrote " << paths.hub_office << " (the hub's office, " << options->hub_office
              << ": no office certificate is issued for it)\n";
    std::cout << "wrote " << paths.serial << "\n";
  });
}

void RegisterIssue(CLI::App& pki) {
  auto* cmd = pki.add_subcommand("issue", "Issue an office its client certificate");
  auto dir = std::make_shared<std::string>();
  auto office = std::make_shared<std::string>();
  auto options = std::make_shared<IssueOptions>();
  cmd->add_option("DIR", *dir, "Certificate authority directory (from `pki init-ca`)")->required();
  cmd->add_option("--office", *office, "Office id: the certificate's common name")->required();
  cmd->add_option("--days", options->valid_days, "Validity of the certificate")
      ->default_val(options->valid_days)
      ->check(CLI::Range(1, kMaxDays));
  cmd->footer(
      "An office whose certificate is neither revoked nor expired is refused: revoke\n"
      "it first. The old certificate is kept in DIR/offices/retired/.\n\n"
      "Example:\n"
      "  liaison pki issue pki --office town-a");
  cmd->callback([=] {
    IssuedCertificate issued = Check(IssueOfficeCertificate(*dir, *office, *options));
    if (!issued.retired_cert_path.empty()) {
      std::cout << "moved " << issued.cert_path << " to " << issued.retired_cert_path << "\n";
    }
    std::cout << "wrote " << issued.key_path << "\n";
    PrintCertificateWritten(issued.cert_path);
  });
}

void RegisterRevoke(CLI::App& pki) {
  auto* cmd = pki.add_subcommand("revoke", "Revoke an office's certificate");
  auto dir = std::make_shared<std::string>();
  auto office = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "Certificate authority directory")->required();
  cmd->add_option("--office", *office, "Office id")->required();
  cmd->footer(
      "Adds the certificate to DIR/ca.crl; the hub refuses it once it has the new list.\n\n"
      "Example:\n"
      "  liaison pki revoke pki --office town-a");
  cmd->callback([=] {
    Check(RevokeOfficeCertificate(*dir, *office));
    const PkiPaths paths = PkiPaths::In(*dir);
    CertificateInfo info = Check(ReadCertificateInfo(paths.OfficeCert(*office)));
    std::cout << "wrote " << paths.crl << " (revoked " << *office << ", serial "
              << Shown(info.serial) << ")\n";
  });
}

void PrintJson(const std::vector<OfficeCertificateStatus>& offices) {
  JsonWriter w;
  w.BeginArray();
  for (const auto& o : offices) {
    // clang-format off
    w.BeginObject()
        .Key("office").String(o.office_id)
        .Key("serial").String(Shown(o.certificate.serial))
        .Key("not_after").String(o.certificate.not_after)
        .Key("revoked").Bool(o.revoked)
        .EndObject();
    // clang-format on
  }
  w.EndArray();
  std::cout << w.str() << "\n";
}

void PrintText(const std::vector<OfficeCertificateStatus>& offices) {
  if (offices.empty()) {
    std::cout << "no office certificates\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& o : offices) {
    rows.push_back({o.office_id, Shown(o.certificate.serial), o.certificate.not_after,
                    o.revoked ? "yes" : "no"});
  }
  PrintTable({"office", "serial", "not after", "revoked"}, rows);
}

void RegisterList(CLI::App& pki) {
  auto* cmd = pki.add_subcommand("list", "List the offices' certificates");
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("DIR", *dir, "Certificate authority directory")->required();
  cmd->add_flag("--json", *json, "One JSON array");
  cmd->footer("Example:\n  liaison pki list pki --json");
  cmd->callback([=] {
    std::vector<OfficeCertificateStatus> offices = Check(ListOfficeCertificates(*dir));
    if (*json) {
      PrintJson(offices);
    } else {
      PrintText(offices);
    }
  });
}

}  // namespace

void RegisterPki(CLI::App& app) {
  auto* cmd = app.add_subcommand("pki", "The city office's certificate authority");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  liaison pki init-ca pki\n"
      "  liaison pki issue pki --office town-a\n"
      "  liaison pki revoke pki --office town-a\n"
      "  liaison pki list pki");
  RegisterInitCa(*cmd);
  RegisterIssue(*cmd);
  RegisterRevoke(*cmd);
  RegisterList(*cmd);
}

}  // namespace liaison::cli
